package org.anthropicproxy.quota;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Quota state shared by several proxy instances through Redis.
 *
 * <p>One hash per provider at {@code <prefix>provider:<name>} with the same field names as the JSON file (timestamps as
 * fixed-width UTC strings, so Lua compares them as strings; an absent or empty field is null), and a set
 * {@code <prefix>providers} naming them. Every change is one Lua script, so it is atomic and a single round trip.
 * Reads go to Redis every time (a loopback round trip is well under a millisecond), so an exhaustion marked by one
 * instance is honoured by all the others at once, and a reset by one clears it for all.
 *
 * <p>Connect and read timeouts are 2 s, waiting for a pooled connection too; any Redis failure surfaces as a
 * {@link QuotaStoreException} naming the URI (password removed). The constructor pings, so a wrong URI fails at start.
 */
public final class RedisQuotaStore implements QuotaStore {
    public static final String DEFAULT_PREFIX = "anthropic-proxy:quota:";
    private static final int TIMEOUT_MILLIS = 2000;

    private static final String MARK_EXHAUSTED = """
            redis.call('HSET', KEYS[1], 'quota_exhausted', 'true', 'exhausted_at', ARGV[1], 'reset_at', ARGV[2], 'last_error', ARGV[3])
            redis.call('SADD', KEYS[2], ARGV[4])
            return 1""";
    private static final String MARK_COOLDOWN = """
            local cur = redis.call('HGET', KEYS[1], 'cooldown_until')
            if (not cur) or cur == '' or cur < ARGV[1] then
              redis.call('HSET', KEYS[1], 'cooldown_until', ARGV[1], 'cooldown_reason', ARGV[2])
            end
            redis.call('HSET', KEYS[1], 'last_error', ARGV[2])
            redis.call('SADD', KEYS[2], ARGV[3])
            return 1""";
    private static final String RECORD_REQUEST = """
            redis.call('HINCRBY', KEYS[1], 'request_count', 1)
            redis.call('HSET', KEYS[1], 'last_request_at', ARGV[1])
            redis.call('SADD', KEYS[2], ARGV[2])
            return 1""";
    private static final String RECORD_ERROR = """
            redis.call('HSET', KEYS[1], 'last_error', ARGV[1])
            redis.call('SADD', KEYS[2], ARGV[2])
            return 1""";
    private static final String CLEAR_EXPIRED = """
            local changed = 0
            local ex = redis.call('HGET', KEYS[1], 'quota_exhausted')
            local r = redis.call('HGET', KEYS[1], 'reset_at')
            if ex == 'true' and r and r ~= '' and r <= ARGV[1] then
              redis.call('HSET', KEYS[1], 'quota_exhausted', 'false')
              redis.call('HDEL', KEYS[1], 'exhausted_at', 'reset_at')
              changed = 1
            end
            local c = redis.call('HGET', KEYS[1], 'cooldown_until')
            if c and c ~= '' and c <= ARGV[1] then
              redis.call('HDEL', KEYS[1], 'cooldown_until', 'cooldown_reason')
              changed = 1
            end
            return changed""";
    private static final String RESET = """
            redis.call('HSET', KEYS[1], 'quota_exhausted', 'false')
            redis.call('HDEL', KEYS[1], 'exhausted_at', 'reset_at', 'cooldown_until', 'cooldown_reason')
            redis.call('SADD', KEYS[2], ARGV[1])
            return 1""";
    private static final String RESET_ALL = """
            local names = redis.call('SMEMBERS', KEYS[1])
            for _, name in ipairs(names) do
              local key = ARGV[1] .. name
              redis.call('HSET', key, 'quota_exhausted', 'false')
              redis.call('HDEL', key, 'exhausted_at', 'reset_at', 'cooldown_until', 'cooldown_reason')
            end
            return #names""";

    private final String safeUri;
    private final String prefix;
    private final String providersKey;
    private final JedisPooled redis;

    /**
     * @param redisUri  {@code redis://[user:password@]host:port[/db]} or {@code rediss://...} for TLS
     * @param keyPrefix prefix of every key; null or blank means {@value #DEFAULT_PREFIX}
     * @throws QuotaStoreException when Redis does not answer a PING within the timeouts
     * @throws IllegalArgumentException when the URI is malformed
     */
    public RedisQuotaStore(String redisUri, String keyPrefix) {
        ParsedUri uri = ParsedUri.parse(redisUri);
        this.safeUri = uri.safe();
        this.prefix = keyPrefix == null || keyPrefix.isBlank() ? DEFAULT_PREFIX : keyPrefix;
        this.providersKey = prefix + "providers";
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(TIMEOUT_MILLIS)
                .socketTimeoutMillis(TIMEOUT_MILLIS)
                .database(uri.database())
                .ssl(uri.tls())
                .clientName("anthropic-proxy-quota");
        if (uri.user() != null) config.user(uri.user());
        if (uri.password() != null) config.password(uri.password());
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(32);
        pool.setMaxIdle(8);
        pool.setMinIdle(0);
        pool.setBlockWhenExhausted(true);
        pool.setMaxWait(Duration.ofMillis(TIMEOUT_MILLIS));
        pool.setJmxEnabled(false);
        this.redis = new JedisPooled(new HostAndPort(uri.host(), uri.port()), config.build(), pool);
        try {
            call("PING", redis::ping);
        } catch (QuotaStoreException e) {
            redis.close();
            throw e;
        }
    }

    public RedisQuotaStore(String redisUri) {
        this(redisUri, DEFAULT_PREFIX);
    }

    @Override
    public ProviderState get(String provider) {
        Map<String, String> h = call("HGETALL", () -> redis.hgetAll(key(provider)));
        return h == null || h.isEmpty() ? ProviderState.EMPTY : fromHash(h);
    }

    @Override
    public Map<String, ProviderState> all() {
        Map<String, ProviderState> out = new HashMap<>();
        for (String name : call("SMEMBERS", () -> redis.smembers(providersKey))) {
            out.put(name, get(name));
        }
        return out;
    }

    @Override
    public void markExhausted(String provider, Instant at, Instant resetAt, String error) {
        eval(
                "mark exhausted",
                MARK_EXHAUSTED,
                provider,
                str(Timestamps.format(at)),
                str(Timestamps.format(resetAt)),
                str(error),
                provider);
    }

    @Override
    public void markCooldown(String provider, Instant until, String reason) {
        eval("mark cooldown", MARK_COOLDOWN, provider, str(Timestamps.format(until)), str(reason), provider);
    }

    @Override
    public void recordRequest(String provider, Instant at) {
        eval("record request", RECORD_REQUEST, provider, str(Timestamps.format(at)), provider);
    }

    @Override
    public void recordError(String provider, String error) {
        eval("record error", RECORD_ERROR, provider, str(error), provider);
    }

    @Override
    public boolean clearExpired(String provider, Instant now) {
        Object r = eval("clear expired", CLEAR_EXPIRED, provider, Timestamps.format(now));
        return r instanceof Long l && l > 0;
    }

    @Override
    public void reset(String provider) {
        eval("reset", RESET, provider, provider);
    }

    @Override
    public void resetAll() {
        call("reset all", () -> redis.eval(RESET_ALL, List.of(providersKey), List.of(prefix + "provider:")));
    }

    @Override
    public void close() {
        redis.close();
    }

    @Override
    public String toString() {
        return "RedisQuotaStore[" + safeUri + ", prefix " + prefix + "]";
    }

    private String key(String provider) {
        if (provider == null || provider.isBlank())
            throw new IllegalArgumentException("invalid provider name '" + provider + "'");
        return prefix + "provider:" + provider;
    }

    private Object eval(String op, String script, String provider, String... args) {
        List<String> keys = List.of(key(provider), providersKey);
        return call(op, () -> redis.eval(script, keys, List.of(args)));
    }

    private <T> T call(String op, Supplier<T> action) {
        try {
            return action.get();
        } catch (JedisException e) {
            throw new QuotaStoreException(
                    "Redis quota store at " + safeUri + ": " + op + " failed: " + e.getMessage(), e);
        }
    }

    private static String str(String s) {
        return s == null ? "" : s;
    }

    private static ProviderState fromHash(Map<String, String> h) {
        long count;
        try {
            count = Long.parseLong(h.getOrDefault("request_count", "0"));
        } catch (NumberFormatException e) {
            count = 0;
        }
        return new ProviderState(
                "true".equals(h.get("quota_exhausted")),
                time(h, "exhausted_at"),
                time(h, "reset_at"),
                text(h, "last_error"),
                count,
                time(h, "last_request_at"),
                time(h, "cooldown_until"),
                text(h, "cooldown_reason"));
    }

    private static Instant time(Map<String, String> h, String field) {
        return Timestamps.parse(h.get(field), ZoneOffset.UTC);
    }

    private static String text(Map<String, String> h, String field) {
        String v = h.get(field);
        return v == null || v.isEmpty() ? null : v;
    }

    /** A {@code redis://} URI taken apart; {@link #safe()} is the form fit for messages and logs. */
    record ParsedUri(String host, int port, int database, String user, String password, boolean tls) {
        static ParsedUri parse(String text) {
            if (text == null || text.isBlank()) throw new IllegalArgumentException("empty Redis URI");
            URI uri;
            try {
                uri = new URI(text.strip());
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("malformed Redis URI: " + e.getMessage(), e);
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("redis") && !scheme.equals("rediss")) {
                throw new IllegalArgumentException(
                        "Redis URI must start with redis:// or rediss://, got scheme '" + scheme + "'");
            }
            String host = uri.getHost() == null ? "127.0.0.1" : uri.getHost();
            int port = uri.getPort() < 0 ? 6379 : uri.getPort();
            int db = 0;
            String path = uri.getPath();
            if (path != null && path.length() > 1) {
                try {
                    db = Integer.parseInt(path.substring(1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(
                            "Redis URI database must be a number, got '" + path.substring(1) + "'");
                }
            }
            String user = null;
            String password = null;
            String info = uri.getRawUserInfo();
            if (info != null && !info.isEmpty()) {
                int colon = info.indexOf(':');
                if (colon < 0) password = decode(info);
                else {
                    user = colon == 0 ? null : decode(info.substring(0, colon));
                    password = decode(info.substring(colon + 1));
                }
            }
            return new ParsedUri(host, port, db, user, password, scheme.equals("rediss"));
        }

        private static String decode(String s) {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        }

        String safe() {
            return (tls ? "rediss" : "redis") + "://" + (user != null || password != null ? "***@" : "") + host + ":"
                    + port + "/" + database;
        }
    }
}
