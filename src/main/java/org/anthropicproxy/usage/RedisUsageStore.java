package org.anthropicproxy.usage;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.AbstractTransaction;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XTrimParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.resps.StreamEntry;

/**
 * Usage history shared by every instance using one Redis: each day's aggregates are a hash
 * ({@code anthropic-proxy:usage:day:YYYY-MM-DD}) whose fields every instance increments (HINCRBY, so their sums add
 * up, RedisUsageIT), and recent requests a stream capped at {@link #RECENT_CAP} entries. A batch is one MULTI/EXEC:
 * all of it counts or none. Day hashes expire after the retention; {@link #deleteBefore} also drops older ones, and
 * trims the stream by its entry ids, which are Redis's own time.
 */
public final class RedisUsageStore implements UsageStore {

    public static final String PREFIX = "anthropic-proxy:usage:";
    static final long RECENT_CAP = 10_000;
    private static final char SEP = '\u001f';
    private static final String[] METRICS = {"requests", "input", "output", "cache_read", "cache_write"};

    private final JedisPooled redis;
    private final String safeUri;
    private final ZoneId zone;
    private final Duration retention;

    public RedisUsageStore(String uri, ZoneId zone, Duration retention) {
        URI parsed = URI.create(uri);
        this.safeUri = parsed.getScheme() + "://" + parsed.getHost() + ":" + parsed.getPort()
                + (parsed.getPath() == null ? "" : parsed.getPath());
        this.redis = new JedisPooled(parsed);
        this.zone = zone;
        this.retention = retention;
    }

    @Override
    public void append(List<UsageRecord> batch) {
        if (batch.isEmpty()) {
            return;
        }
        Map<String, Map<String, Long>> increments = new LinkedHashMap<>();
        for (UsageRecord r : batch) {
            String day = day(r.timeMillis()).toString();
            String group = clean(UsageRecord.orNone(r.provider()))
                    + SEP
                    + clean(UsageRecord.orNone(r.upstreamModel()))
                    + SEP
                    + clean(UsageRecord.orNone(r.keyId()))
                    + SEP;
            Map<String, Long> h = increments.computeIfAbsent(day, d -> new HashMap<>());
            long[] values = {1, r.inputTokens(), r.outputTokens(), r.cacheReadTokens(), r.cacheWriteTokens()};
            for (int i = 0; i < METRICS.length; i++) {
                h.merge(group + METRICS[i], values[i], Long::sum);
            }
        }
        call("write", () -> {
            try (AbstractTransaction t = redis.multi()) {
                for (Map.Entry<String, Map<String, Long>> e : increments.entrySet()) {
                    String key = PREFIX + "day:" + e.getKey();
                    e.getValue().forEach((field, n) -> t.hincrBy(key, field, n));
                    long expiry = LocalDate.parse(e.getKey())
                            .plusDays(retention.toDays() + 1)
                            .atStartOfDay(zone)
                            .toEpochSecond();
                    t.expireAt(key, expiry);
                }
                for (UsageRecord r : batch) {
                    t.xadd(
                            PREFIX + "recent",
                            XAddParams.xAddParams().maxLen(RECENT_CAP).approximateTrimming(),
                            fields(r));
                }
                t.exec();
            }
            return null;
        });
    }

    @Override
    public List<DailyRow> daily(LocalDate from, LocalDate to) {
        return call("read", () -> {
            List<DailyRow> out = new ArrayList<>();
            for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
                Map<String, String> h = redis.hgetAll(PREFIX + "day:" + d);
                Map<String, long[]> groups = new LinkedHashMap<>();
                for (Map.Entry<String, String> e : h.entrySet()) {
                    int cut = e.getKey().lastIndexOf(SEP);
                    int metric = List.of(METRICS).indexOf(e.getKey().substring(cut + 1));
                    if (cut < 0 || metric < 0) {
                        continue;
                    }
                    groups.computeIfAbsent(e.getKey().substring(0, cut), g -> new long[METRICS.length])[metric] =
                            parse(e.getValue());
                }
                for (Map.Entry<String, long[]> g : groups.entrySet()) {
                    String[] parts = g.getKey().split(String.valueOf(SEP), -1);
                    if (parts.length != 3) {
                        continue;
                    }
                    long[] v = g.getValue();
                    out.add(new DailyRow(d, parts[0], parts[1], parts[2], new Totals(v[0], v[1], v[2], v[3], v[4])));
                }
            }
            return out;
        });
    }

    @Override
    public List<UsageRecord> recent(int limit) {
        return call("read", () -> {
            List<UsageRecord> out = new ArrayList<>();
            for (StreamEntry e : redis.xrevrange(PREFIX + "recent", "+", "-", limit)) {
                Map<String, String> f = e.getFields();
                out.add(new UsageRecord(
                        parse(f.get("t")),
                        f.get("id"),
                        f.get("key"),
                        f.get("prov"),
                        f.get("cm"),
                        f.get("um"),
                        "1".equals(f.get("s")),
                        (int) parse(f.get("st")),
                        (int) parse(f.get("fo")),
                        parse(f.get("ttfb")),
                        parse(f.get("dur")),
                        parse(f.get("in")),
                        parse(f.get("out")),
                        parse(f.get("cr")),
                        parse(f.get("cw"))));
            }
            return out;
        });
    }

    @Override
    public void deleteBefore(LocalDate firstKept) {
        call("retention", () -> {
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> page = redis.scan(
                        cursor, new ScanParams().match(PREFIX + "day:*").count(500));
                for (String key : page.getResult()) {
                    String day = key.substring((PREFIX + "day:").length());
                    if (day.compareTo(firstKept.toString()) < 0) {
                        redis.del(key);
                    }
                }
                cursor = page.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
            long minMillis = firstKept.atStartOfDay(zone).toInstant().toEpochMilli();
            redis.xtrim(PREFIX + "recent", XTrimParams.xTrimParams().minId(minMillis + "-0"));
            return null;
        });
    }

    @Override
    public String describe() {
        return safeUri;
    }

    @Override
    public void close() {
        redis.close();
    }

    private LocalDate day(long millis) {
        return LocalDate.ofInstant(Instant.ofEpochMilli(millis), zone);
    }

    private static Map<String, String> fields(UsageRecord r) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("t", Long.toString(r.timeMillis()));
        put(f, "id", r.requestId());
        put(f, "key", r.keyId());
        put(f, "prov", r.provider());
        put(f, "cm", r.clientModel());
        put(f, "um", r.upstreamModel());
        f.put("s", r.stream() ? "1" : "0");
        f.put("st", Integer.toString(r.status()));
        f.put("fo", Integer.toString(r.failovers()));
        f.put("ttfb", Long.toString(r.ttfbMicros()));
        f.put("dur", Long.toString(r.durationMicros()));
        f.put("in", Long.toString(r.inputTokens()));
        f.put("out", Long.toString(r.outputTokens()));
        f.put("cr", Long.toString(r.cacheReadTokens()));
        f.put("cw", Long.toString(r.cacheWriteTokens()));
        return f;
    }

    private static void put(Map<String, String> f, String k, String v) {
        if (v != null) {
            f.put(k, v);
        }
    }

    /** The separator cannot appear inside a part, or the field would not split back into the same three. */
    private static String clean(String s) {
        return s.indexOf(SEP) < 0 ? s : s.replace(SEP, '?');
    }

    private static long parse(String s) {
        if (s == null) {
            return 0;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private <T> T call(String op, java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (JedisException e) {
            throw new UsageStoreException("usage store " + safeUri + ": " + op + " failed: " + e.getMessage(), e);
        }
    }
}
