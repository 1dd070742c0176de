package org.anthropicproxy.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.anthropicproxy.quota.Classification.QuotaExhausted;
import org.anthropicproxy.quota.Classification.RateLimited;
import org.anthropicproxy.testkit.MutableClock;
import org.anthropicproxy.testkit.RedisServerProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/** Against a real redis-server: two instances share exhaustion, cooldown and resets at once. */
@Timeout(30)
class RedisQuotaStoreTest {
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    static RedisServerProcess redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) redis.close();
    }

    /** A key prefix per test keeps tests independent on the shared server. */
    static String prefix(TestInfo info) {
        return "test:" + info.getDisplayName().replaceAll("\\W", "") + ":" + System.nanoTime() + ":";
    }

    @Test
    void roundTripOfEveryOperation(TestInfo info) {
        Instant t = Instant.parse("2026-11-25T13:00:00.123Z");
        try (RedisQuotaStore store = new RedisQuotaStore(redis.uri(), prefix(info))) {
            assertThat(store.get("native")).isEqualTo(ProviderState.EMPTY);
            store.recordRequest("native", t);
            store.recordRequest("native", t.plusSeconds(1));
            store.markExhausted("native", t, Instant.parse("2026-11-29T23:00:00Z"), "本周额度已用尽");
            store.markCooldown("codebuddy", t.plusSeconds(30), "HTTP 529");
            store.markCooldown("codebuddy", t.plusSeconds(10), "HTTP 502");
            store.recordError("other", "HTTP 401");

            assertThat(store.get("native"))
                    .isEqualTo(new ProviderState(
                            true,
                            t,
                            Instant.parse("2026-11-29T23:00:00Z"),
                            "本周额度已用尽",
                            2,
                            t.plusSeconds(1),
                            null,
                            null));
            ProviderState c = store.get("codebuddy");
            assertThat(c.cooldownUntil()).isEqualTo(t.plusSeconds(30));
            assertThat(c.cooldownReason()).isEqualTo("HTTP 529");
            assertThat(c.lastError()).isEqualTo("HTTP 502");
            assertThat(store.all()).containsOnlyKeys("native", "codebuddy", "other");

            assertThat(store.clearExpired("codebuddy", t.plusSeconds(29))).isFalse();
            assertThat(store.clearExpired("codebuddy", t.plusSeconds(30))).isTrue();
            assertThat(store.get("codebuddy").cooldownUntil()).isNull();
            assertThat(store.clearExpired("native", Instant.parse("2026-11-29T23:00:00Z")))
                    .isTrue();
            assertThat(store.get("native").quotaExhausted()).isFalse();
            assertThat(store.get("native").requestCount()).isEqualTo(2);

            store.markExhausted("native", t, t.plusSeconds(99), "x");
            store.markExhausted("codebuddy", t, t.plusSeconds(99), "y");
            store.reset("native");
            assertThat(store.get("native").quotaExhausted()).isFalse();
            assertThat(store.get("codebuddy").quotaExhausted()).isTrue();
            store.resetAll();
            assertThat(store.all().values())
                    .allSatisfy(s -> assertThat(s.quotaExhausted()).isFalse());
            assertThat(store.get("native").lastError()).isEqualTo("x");
        }
    }

    @Test
    void exhaustionMarkedByOneInstanceIsHonouredByTheOtherAtOnce(TestInfo info) {
        String prefix = prefix(info);
        MutableClock clock = MutableClock.atLocal("2026-11-25T14:00:00", BERLIN);
        try (QuotaService a = new QuotaService(new RedisQuotaStore(redis.uri(), prefix), clock, Map.of(), null);
                QuotaService b = new QuotaService(new RedisQuotaStore(redis.uri(), prefix), clock, Map.of(), null)) {
            assertThat(b.isAvailable("native")).isTrue();
            a.onFailure("native", new QuotaExhausted(Optional.empty(), "weekly limit"));
            assertThat(b.isAvailable("native")).isFalse();
            assertThat(b.unavailableUntil("native"))
                    .contains(
                            MutableClock.atLocal("2026-11-30T00:00:00", BERLIN).instant());

            a.onFailure("codebuddy", new RateLimited(Duration.ofSeconds(40), "429"));
            assertThat(b.isAvailable("codebuddy")).isFalse();

            b.reset("native");
            assertThat(a.isAvailable("native")).isTrue();
            assertThat(b.isAvailable("native")).isTrue();
            b.resetAll();
            assertThat(a.isAvailable("codebuddy")).isTrue();

            a.onRequest("native");
            b.onRequest("native");
            assertThat(a.view(List.of("native"))
                            .get("providers")
                            .get("native")
                            .get("request_count")
                            .asLong())
                    .isEqualTo(2);
        }
    }

    @Test
    void lazyResetByOneInstanceDoesNotEraseAFreshMarkOfTheOther(TestInfo info) {
        String prefix = prefix(info);
        MutableClock clock = MutableClock.atLocal("2026-11-25T14:00:00", BERLIN);
        try (RedisQuotaStore a = new RedisQuotaStore(redis.uri(), prefix);
                RedisQuotaStore b = new RedisQuotaStore(redis.uri(), prefix)) {
            Instant t = clock.instant();
            a.markExhausted("native", t, t.plusSeconds(60), "old");
            b.markExhausted("native", t.plusSeconds(61), t.plusSeconds(3600), "new"); // re-marked meanwhile
            assertThat(a.clearExpired("native", t.plusSeconds(61))).isFalse();
            assertThat(b.get("native").quotaExhausted()).isTrue();
            assertThat(b.get("native").resetAt()).isEqualTo(t.plusSeconds(3600));
        }
    }

    @Test
    void schedulerOnOneInstanceClearsForBoth(TestInfo info) throws Exception {
        String prefix = prefix(info);
        MutableClock clock = MutableClock.atLocal("2026-11-25T14:00:00", BERLIN);
        try (RedisQuotaStore raw = new RedisQuotaStore(redis.uri(), prefix);
                QuotaService a = new QuotaService(new RedisQuotaStore(redis.uri(), prefix), clock, Map.of(), null);
                QuotaService b = new QuotaService(new RedisQuotaStore(redis.uri(), prefix), clock, Map.of(), null)) {
            b.onFailure("native", new QuotaExhausted(Optional.empty(), "weekly limit"));
            a.startScheduler();
            clock.setLocal("2026-11-30T00:00:00");
            QuotaServiceTest.awaitTrue(
                    Duration.ofSeconds(10), () -> !raw.get("native").quotaExhausted());
            assertThat(b.isAvailable("native")).isTrue();
        }
    }

    @Test
    void concurrentCountersAreAtomic(TestInfo info) throws Exception {
        String prefix = prefix(info);
        try (RedisQuotaStore a = new RedisQuotaStore(redis.uri(), prefix);
                RedisQuotaStore b = new RedisQuotaStore(redis.uri(), prefix);
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                RedisQuotaStore s = i % 2 == 0 ? a : b;
                futures.add(pool.submit(() -> {
                    for (int j = 0; j < 100; j++) s.recordRequest("p", Instant.ofEpochSecond(1_800_000_000L + j));
                }));
            }
            for (Future<?> f : futures) f.get();
            assertThat(a.get("p").requestCount()).isEqualTo(800);
        }
    }

    @Test
    void quotaStoresOpensRedisForARedisUri(TestInfo info) {
        try (QuotaStore store = QuotaStores.open(redis.uri() + "/1")) {
            assertThat(store).isInstanceOf(RedisQuotaStore.class);
            store.recordRequest("x-" + prefix(info), Instant.parse("2026-11-25T13:00:00Z"));
        }
    }

    @Test
    void unreachableRedisFailsFastNamingTheUriWithoutThePassword() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            port = s.getLocalPort();
        }
        String uri = "redis://user:s3cret@127.0.0.1:" + port + "/2";
        assertThatThrownBy(() -> new RedisQuotaStore(uri, null))
                .isInstanceOf(QuotaStoreException.class)
                .hasMessageContaining("redis://***@127.0.0.1:" + port + "/2")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void serverThatNeverAnswersTimesOutInsteadOfHanging() throws Exception {
        try (ServerSocket silent = new ServerSocket()) {
            silent.bind(new InetSocketAddress("127.0.0.1", 0), 50); // accepts connections (backlog), never replies
            String uri = "redis://127.0.0.1:" + silent.getLocalPort();
            assertThatThrownBy(() -> new RedisQuotaStore(uri, null))
                    .isInstanceOf(QuotaStoreException.class)
                    .hasMessageContaining(uri);
        }
    }

    @Test
    void malformedUrisAreRejected() {
        assertThatThrownBy(() -> new RedisQuotaStore("http://127.0.0.1:6379", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redis://");
        assertThatThrownBy(() -> new RedisQuotaStore("redis://127.0.0.1:6379/abc", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("abc");
    }
}
