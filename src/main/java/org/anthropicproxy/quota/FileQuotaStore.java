package org.anthropicproxy.quota;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.anthropicproxy.files.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Quota state in one JSON file, compatible with the {@code quota_state.json} of the Python anthropic_server.py
 * (schema v2).
 *
 * <p>Layout: {@code {"version": 2, "<provider>": {"quota_exhausted", "exhausted_at", "reset_at", "last_error",
 * "request_count", "last_request_at", "cooldown_until", "cooldown_reason"}, ...}}. The Python tool kept one provider
 * under {@code native_api}; on reading, {@code native_api} becomes provider {@code native} (unless the file also has a
 * {@code native} entry, which wins). We write {@code native} only, so migration is one-way: the Python tool writes
 * naive local timestamps that it compares with naive {@code datetime.now()}, and a mirrored entry with our UTC
 * timestamps would crash it rather than help it. Naive timestamps found in its files are read in the system's default
 * zone, as it wrote them. We write UTC timestamps with a {@code Z}.
 *
 * <p>Request counters ({@code request_count}, {@code last_request_at}) are bookkeeping, written at once when the file
 * was last written over {@value #COUNTER_FLUSH_MILLIS} ms ago and otherwise by a flush that follows within that time
 * (and on close): a busy proxy writes the file every few seconds instead of once per request, since an fsync'd write
 * under the store's lock costs milliseconds and would cap the request rate (bench/load.sh's CPU per request shows
 * it). After a crash a counter may lag
 * by that much; every other change is on disk when its method returns.
 *
 * <p>Every write is atomic: a temp file in the same directory, {@code FileChannel.force}, then an
 * {@code ATOMIC_MOVE} rename over the file (and a best-effort directory fsync). A process killed at any moment leaves
 * either the old or the new file, and at most a stray temp file, which the next start deletes. A file that does not
 * parse at start is renamed aside to {@code <name>.corrupt-<timestamp>} with a WARN and a fresh state begins. A failed
 * write is logged and the state stays in memory; the next change writes it again.
 *
 * <p>Several processes may share the file (two proxies started in one directory): every write happens under
 * {@link QuotaFileLock}, re-reads the file when another process replaced it, and applies this process's changes not
 * yet written on top of what it found; request counters add up. Reads see another process's changes within
 * {@value #REFRESH_MILLIS} ms (one {@code stat} a second, a read only when the file changed). Many processes, or
 * processes on several hosts, share state better through Redis.
 */
public final class FileQuotaStore implements QuotaStore {
    private static final Logger log = LoggerFactory.getLogger(FileQuotaStore.class);
    private static final ObjectMapper JSON =
            JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    private static final String LEGACY_NATIVE_KEY = "native_api";
    private static final String NATIVE = "native";
    private static final DateTimeFormatter SUFFIX =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    static final long COUNTER_FLUSH_MILLIS = 5000;
    static final long REFRESH_MILLIS = 1000;
    private static final long COUNTER_FLUSH_NANOS = COUNTER_FLUSH_MILLIS * 1_000_000L;

    private final Path file;
    private final QuotaFileLock shared;
    private final Object lock = new Object(); // guards the fields below it
    private final Map<String, ProviderState> states = new LinkedHashMap<>();
    private final List<Consumer<Map<String, ProviderState>>> unwritten = new ArrayList<>(); // changes not on disk
    private long nextRefreshNanos = System.nanoTime();
    private long changes; // bumped by every change
    private long lastWriteNanos = System.nanoTime() - COUNTER_FLUSH_NANOS;
    private boolean flushScheduled;
    private boolean closed;
    private final Object writeLock = new Object(); // serialises file writes; taken before lock, never inside it
    private long written; // under writeLock: the change count the file holds

    public FileQuotaStore(Path file) {
        this.file = file.toAbsolutePath().normalize();
        try {
            Path dir = this.file.getParent();
            if (dir != null) Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot create the directory of quota file " + this.file + ": " + e.getMessage(), e);
        }
        shared = new QuotaFileLock(this.file);
        try (QuotaFileLock.Held held = shared.acquire()) {
            deleteStrayTempFiles();
            load();
            shared.seenNow();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock quota file " + this.file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public ProviderState get(String provider) {
        refreshIfDue();
        synchronized (lock) {
            return states.getOrDefault(provider, ProviderState.EMPTY);
        }
    }

    @Override
    public Map<String, ProviderState> all() {
        refreshIfDue();
        synchronized (lock) {
            return Map.copyOf(states);
        }
    }

    @Override
    public void markExhausted(String provider, Instant at, Instant resetAt, String error) {
        update(provider, s -> s.exhausted(at, resetAt, error));
    }

    @Override
    public void markCooldown(String provider, Instant until, String reason) {
        update(provider, s -> s.coolingDownUntil(until, reason));
    }

    @Override
    public boolean recordsWithoutBlocking() {
        return true; // counters are flushed by their own thread
    }

    @Override
    public void recordRequest(String provider, Instant at) {
        checkName(provider);
        synchronized (lock) {
            change(m -> m.put(
                    provider, m.getOrDefault(provider, ProviderState.EMPTY).requested(at)));
            // counters are written by a flusher, never on the request's thread: the write ends in an fsync, which
            // would land in the latency of one request a second
            if (!flushScheduled && !closed) {
                flushScheduled = true;
                long due = Math.max(System.nanoTime(), lastWriteNanos + COUNTER_FLUSH_NANOS);
                Thread.ofVirtual().name("quota-counter-flush").start(() -> flushAt(due));
            }
        }
    }

    private void flushAt(long dueNanos) {
        try {
            long wait = dueNanos - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (lock) {
            flushScheduled = false;
            if (closed) {
                return;
            }
            lastWriteNanos = System.nanoTime();
        }
        persist();
    }

    @Override
    public void recordError(String provider, String error) {
        update(provider, s -> s.withLastError(error));
    }

    @Override
    public boolean clearExpired(String provider, Instant now) {
        synchronized (lock) {
            ProviderState s = states.get(provider);
            if (s == null || !s.hasExpiredAt(now)) return false;
            change(m -> m.computeIfPresent(provider, (k, v) -> v.hasExpiredAt(now) ? v.clearedExpired(now) : v));
        }
        persist();
        return true;
    }

    @Override
    public void reset(String provider) {
        update(provider, ProviderState::cleared);
    }

    @Override
    public void resetAll() {
        synchronized (lock) {
            change(m -> m.replaceAll((name, s) -> s.cleared()));
        }
        persist();
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
        persist(); // pending request counters
        shared.close();
    }

    private void update(String provider, UnaryOperator<ProviderState> change) {
        checkName(provider);
        synchronized (lock) {
            change(m -> m.put(provider, change.apply(m.getOrDefault(provider, ProviderState.EMPTY))));
        }
        persist();
    }

    /** Under {@code lock}: applies the change now and keeps it until written, to replay on another process's file. */
    private void change(Consumer<Map<String, ProviderState>> c) {
        c.accept(states);
        unwritten.add(c);
        changes++;
    }

    /** Another process's changes, read at most once per {@value #REFRESH_MILLIS} ms and only when the file changed. */
    private void refreshIfDue() {
        long now = System.nanoTime();
        synchronized (lock) {
            if (now - nextRefreshNanos < 0 || closed) return;
            nextRefreshNanos = now + REFRESH_MILLIS * 1_000_000L;
        }
        if (!shared.changedSinceSeen()) return;
        // read on a thread of its own: the caller may be an I/O thread, which must not wait for our own writes
        Thread.ofVirtual().name("quota-file-refresh").start(() -> {
            synchronized (writeLock) {
                try {
                    takeTheirs(); // the file is replaced by a rename, never written in place: no lock needed to read it
                } catch (IOException | RuntimeException e) {
                    log.debug("could not re-read quota state file {}: {}", file, e.toString());
                }
            }
        });
    }

    /** Under {@code writeLock}: when another process replaced the file, its state plus our unwritten changes. */
    private void takeTheirs() throws IOException {
        Object stamp = shared.stamp();
        if (!shared.changedSinceSeen()) return;
        Map<String, ProviderState> theirs = parse(Files.exists(file) ? Files.readAllBytes(file) : new byte[0]);
        shared.seen(stamp);
        if (theirs == null) return; // not ours to set aside while it is in use
        synchronized (lock) {
            Map<String, ProviderState> merged = new LinkedHashMap<>(theirs);
            unwritten.forEach(op -> op.accept(merged));
            states.clear();
            states.putAll(merged);
        }
    }

    private static void checkName(String provider) {
        if (provider == null || provider.isBlank() || provider.equals("version")) {
            throw new IllegalArgumentException("invalid provider name '" + provider + "'");
        }
    }

    // ---- reading ----

    private void load() {
        if (!Files.exists(file)) return;
        if (Files.isDirectory(file)) throw new IllegalArgumentException("quota file " + file + " is a directory");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            // unreadable (permissions, I/O error) is a setup problem, not a corrupt file: say so instead of moving it
            throw new UncheckedIOException("cannot read quota file " + file + ": " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException | RuntimeException e) {
            setAside("does not parse: " + e.getMessage());
            return;
        }
        if (root == null || !root.isObject()) {
            setAside("is not a JSON object");
            return;
        }
        states.putAll(states(root));
        log.debug("loaded quota state for {} provider(s) from {}", states.size(), file);
    }

    /** The file's states, or null when it does not parse (an empty file is an empty state). */
    private static Map<String, ProviderState> parse(byte[] bytes) {
        if (bytes.length == 0) return Map.of();
        try {
            JsonNode root = JSON.readTree(bytes);
            return root != null && root.isObject() ? states(root) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Map<String, ProviderState> states(JsonNode root) {
        Map<String, ProviderState> out = new LinkedHashMap<>();
        ZoneId legacyZone = ZoneId.systemDefault();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String key = e.getKey();
            if (key.equals("version") || !e.getValue().isObject()) continue;
            String provider = key.equals(LEGACY_NATIVE_KEY) ? NATIVE : key;
            if (key.equals(LEGACY_NATIVE_KEY) && root.has(NATIVE)) continue;
            out.put(provider, read(e.getValue(), legacyZone));
        }
        return out;
    }

    private static ProviderState read(JsonNode n, ZoneId zone) {
        JsonNode ex = n.get("quota_exhausted");
        boolean exhausted = ex != null && (ex.asBoolean(false) || "true".equalsIgnoreCase(ex.asText()));
        JsonNode count = n.get("request_count");
        long requests = count == null ? 0 : Math.max(0, count.asLong(0));
        return new ProviderState(
                exhausted,
                time(n, "exhausted_at", zone),
                time(n, "reset_at", zone),
                text(n, "last_error"),
                requests,
                time(n, "last_request_at", zone),
                time(n, "cooldown_until", zone),
                text(n, "cooldown_reason"));
    }

    private static Instant time(JsonNode n, String field, ZoneId zone) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (v.isNumber()) return Timestamps.epoch(v.asLong());
        return Timestamps.parse(v.asText(), zone);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.isValueNode() ? v.asText() : v.toString();
    }

    private void setAside(String why) {
        Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + SUFFIX.format(Instant.now()));
        for (int i = 1; Files.exists(aside); i++) {
            aside = file.resolveSibling(file.getFileName() + ".corrupt-" + SUFFIX.format(Instant.now()) + "-" + i);
        }
        try {
            Files.move(file, aside);
            log.warn("quota state file {} {}; moved it to {} and starting with a fresh state", file, why, aside);
        } catch (IOException e) {
            log.warn(
                    "quota state file {} {}; could not move it aside ({}), starting with a fresh state that will "
                            + "overwrite it",
                    file,
                    why,
                    e.toString());
        }
    }

    private void deleteStrayTempFiles() {
        Path dir = file.getParent();
        if (dir == null || !Files.isDirectory(dir)) return;
        try (DirectoryStream<Path> stray = Files.newDirectoryStream(dir, file.getFileName() + ".tmp-*")) {
            for (Path p : stray) {
                Files.deleteIfExists(p);
                log.debug("deleted stray temp file {}", p);
            }
        } catch (IOException e) {
            log.debug("could not clean temp files next to {}: {}", file, e.toString());
        }
    }

    // ---- writing ----

    /** Writes the current state unless the file already holds it; a snapshot is taken under lock, written outside it. */
    private void persist() {
        synchronized (writeLock) {
            synchronized (lock) {
                if (changes == written) return;
            }
            long version;
            byte[] bytes;
            int applied;
            try (QuotaFileLock.Held held = shared.acquire()) {
                takeTheirs();
                synchronized (lock) {
                    version = changes;
                    bytes = render();
                    applied = unwritten.size();
                }
                writeAtomically(bytes);
                shared.seenNow();
                synchronized (lock) {
                    unwritten.subList(0, applied).clear();
                }
                written = version;
            } catch (IOException | RuntimeException e) {
                log.warn(
                        "could not write quota state file {}: {} (state kept in memory, retried on the next change)",
                        file,
                        e.toString());
            }
        }
    }

    private byte[] render() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 2);
        for (Map.Entry<String, ProviderState> e : states.entrySet()) {
            ProviderState s = e.getValue();
            ObjectNode n = root.putObject(e.getKey());
            n.put("quota_exhausted", s.quotaExhausted());
            n.put("exhausted_at", Timestamps.format(s.exhaustedAt()));
            n.put("reset_at", Timestamps.format(s.resetAt()));
            n.put("last_error", s.lastError());
            n.put("request_count", s.requestCount());
            n.put("last_request_at", Timestamps.format(s.lastRequestAt()));
            n.put("cooldown_until", Timestamps.format(s.cooldownUntil()));
            n.put("cooldown_reason", s.cooldownReason());
        }
        return JSON.writeValueAsBytes(root);
    }

    private void writeAtomically(byte[] bytes) throws IOException {
        AtomicFiles.write(file, bytes, false);
    }
}
