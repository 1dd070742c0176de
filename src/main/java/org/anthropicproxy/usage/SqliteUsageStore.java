package org.anthropicproxy.usage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Usage history in one SQLite file: a row per request ({@code requests}) and the daily aggregates reports read
 * ({@code daily}, one row per day, provider, upstream model and client key, updated in the same transaction), so a
 * report never scans requests. WAL journal: readers (the {@code usage} command, another process) never block the
 * writer, and a process killed mid-write leaves the last committed batch (UsageKillTest).
 *
 * <p>Connections open lazily and reopen after a failure: a file that cannot be opened now (a locked or full disk)
 * is tried again at the next batch.
 */
public final class SqliteUsageStore implements UsageStore {

    private static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS requests (time_ms INTEGER NOT NULL, day TEXT NOT NULL, request_id TEXT,
              key_id TEXT, provider TEXT, client_model TEXT, upstream_model TEXT, stream INTEGER, status INTEGER,
              failovers INTEGER, ttfb_us INTEGER, duration_us INTEGER, input_tokens INTEGER, output_tokens INTEGER,
              cache_read_tokens INTEGER, cache_write_tokens INTEGER);
            CREATE INDEX IF NOT EXISTS requests_time ON requests(time_ms);
            CREATE INDEX IF NOT EXISTS requests_day ON requests(day);
            CREATE TABLE IF NOT EXISTS daily (day TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
              key_id TEXT NOT NULL, requests INTEGER NOT NULL, input_tokens INTEGER NOT NULL,
              output_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL, cache_write_tokens INTEGER NOT NULL,
              PRIMARY KEY (day, provider, model, key_id));
            """;
    private static final String INSERT_REQUEST = "INSERT INTO requests VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    private static final String UPSERT_DAILY = """
            INSERT INTO daily VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (day, provider, model, key_id) DO UPDATE SET
              requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens,
              output_tokens = output_tokens + excluded.output_tokens,
              cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
              cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens""";

    private final Path file;
    private final ZoneId zone;
    private Connection writer;
    private Connection reader;

    public SqliteUsageStore(Path file, ZoneId zone) {
        this.file = file;
        this.zone = zone;
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized void append(List<UsageRecord> batch) {
        if (batch.isEmpty()) {
            return;
        }
        try {
            Connection c = writer();
            c.setAutoCommit(false);
            try (PreparedStatement req = c.prepareStatement(INSERT_REQUEST);
                    PreparedStatement day = c.prepareStatement(UPSERT_DAILY)) {
                Map<DailyKey, Totals> sums = new LinkedHashMap<>();
                for (UsageRecord r : batch) {
                    LocalDate d = day(r);
                    bindRequest(req, r, d);
                    req.addBatch();
                    sums.merge(
                            new DailyKey(
                                    d,
                                    UsageRecord.orNone(r.provider()),
                                    UsageRecord.orNone(r.upstreamModel()),
                                    UsageRecord.orNone(r.keyId())),
                            Totals.of(r),
                            Totals::plus);
                }
                for (Map.Entry<DailyKey, Totals> e : sums.entrySet()) {
                    DailyKey k = e.getKey();
                    Totals t = e.getValue();
                    day.setString(1, k.day.toString());
                    day.setString(2, k.provider);
                    day.setString(3, k.model);
                    day.setString(4, k.keyId);
                    day.setLong(5, t.requests());
                    day.setLong(6, t.inputTokens());
                    day.setLong(7, t.outputTokens());
                    day.setLong(8, t.cacheReadTokens());
                    day.setLong(9, t.cacheWriteTokens());
                    day.addBatch();
                }
                req.executeBatch();
                day.executeBatch();
                c.commit();
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        } catch (SQLException e) {
            writer = closeQuietly(writer);
            throw failure("write", e);
        }
    }

    private record DailyKey(LocalDate day, String provider, String model, String keyId) {}

    private LocalDate day(UsageRecord r) {
        return LocalDate.ofInstant(Instant.ofEpochMilli(r.timeMillis()), zone);
    }

    private static void bindRequest(PreparedStatement s, UsageRecord r, LocalDate day) throws SQLException {
        s.setLong(1, r.timeMillis());
        s.setString(2, day.toString());
        s.setString(3, r.requestId());
        s.setString(4, r.keyId());
        s.setString(5, r.provider());
        s.setString(6, r.clientModel());
        s.setString(7, r.upstreamModel());
        s.setInt(8, r.stream() ? 1 : 0);
        s.setInt(9, r.status());
        s.setInt(10, r.failovers());
        s.setLong(11, r.ttfbMicros());
        s.setLong(12, r.durationMicros());
        s.setLong(13, r.inputTokens());
        s.setLong(14, r.outputTokens());
        s.setLong(15, r.cacheReadTokens());
        s.setLong(16, r.cacheWriteTokens());
    }

    @Override
    public synchronized List<DailyRow> daily(LocalDate from, LocalDate to) {
        List<DailyRow> out = new ArrayList<>();
        try (PreparedStatement s = reader().prepareStatement(
                        "SELECT day, provider, model, key_id, requests, input_tokens, output_tokens, cache_read_tokens, "
                                + "cache_write_tokens FROM daily WHERE day >= ? AND day <= ? ORDER BY day")) {
            s.setString(1, from.toString());
            s.setString(2, to.toString());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(new DailyRow(
                            LocalDate.parse(rs.getString(1)),
                            rs.getString(2),
                            rs.getString(3),
                            rs.getString(4),
                            new Totals(rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getLong(9))));
                }
            }
            return out;
        } catch (SQLException e) {
            reader = closeQuietly(reader);
            throw failure("read", e);
        }
    }

    @Override
    public synchronized List<UsageRecord> recent(int limit) {
        List<UsageRecord> out = new ArrayList<>();
        try (PreparedStatement s = reader().prepareStatement(
                        "SELECT time_ms, request_id, key_id, provider, client_model, upstream_model, stream, status, failovers, "
                                + "ttfb_us, duration_us, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens "
                                + "FROM requests ORDER BY time_ms DESC, rowid DESC LIMIT ?")) {
            s.setInt(1, limit);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(new UsageRecord(
                            rs.getLong(1),
                            rs.getString(2),
                            rs.getString(3),
                            rs.getString(4),
                            rs.getString(5),
                            rs.getString(6),
                            rs.getInt(7) != 0,
                            rs.getInt(8),
                            rs.getInt(9),
                            rs.getLong(10),
                            rs.getLong(11),
                            rs.getLong(12),
                            rs.getLong(13),
                            rs.getLong(14),
                            rs.getLong(15)));
                }
            }
            return out;
        } catch (SQLException e) {
            reader = closeQuietly(reader);
            throw failure("read", e);
        }
    }

    @Override
    public synchronized void deleteBefore(LocalDate firstKept) {
        try {
            Connection c = writer();
            c.setAutoCommit(true);
            try (PreparedStatement a = c.prepareStatement("DELETE FROM requests WHERE day < ?");
                    PreparedStatement b = c.prepareStatement("DELETE FROM daily WHERE day < ?")) {
                a.setString(1, firstKept.toString());
                b.setString(1, firstKept.toString());
                a.executeUpdate();
                b.executeUpdate();
            }
        } catch (SQLException e) {
            writer = closeQuietly(writer);
            throw failure("retention", e);
        }
    }

    @Override
    public String describe() {
        return "sqlite:" + file;
    }

    @Override
    public synchronized void close() {
        writer = closeQuietly(writer);
        reader = closeQuietly(reader);
    }

    private Connection writer() throws SQLException {
        if (writer == null) {
            writer = open();
        }
        return writer;
    }

    private Connection reader() throws SQLException {
        if (reader == null) {
            reader = open();
        }
        return reader;
    }

    private Connection open() throws SQLException {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (java.io.IOException e) {
            throw new SQLException("cannot create " + file.toAbsolutePath().getParent() + ": " + e.getMessage(), e);
        }
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout = 2000");
            s.execute("PRAGMA journal_mode = WAL");
            // NORMAL in WAL mode: a committed batch survives the process dying; only a power cut may lose the last one
            s.execute("PRAGMA synchronous = NORMAL");
            for (String stmt : SCHEMA.split(";", -1)) {
                if (!stmt.isBlank()) {
                    s.execute(stmt);
                }
            }
        } catch (SQLException e) {
            closeQuietly(c);
            throw e;
        }
        return c;
    }

    private UsageStoreException failure(String op, SQLException e) {
        return new UsageStoreException("usage store " + describe() + ": " + op + " failed: " + e.getMessage(), e);
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is dropped by the caller
        }
    }

    private static Connection closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing a broken connection
            }
        }
        return null;
    }
}
