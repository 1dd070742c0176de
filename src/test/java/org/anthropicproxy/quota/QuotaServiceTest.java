package org.anthropicproxy.quota;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.anthropicproxy.quota.Classification.AuthFailed;
import org.anthropicproxy.quota.Classification.ClientError;
import org.anthropicproxy.quota.Classification.QuotaExhausted;
import org.anthropicproxy.quota.Classification.RateLimited;
import org.anthropicproxy.quota.Classification.Unavailable;
import org.anthropicproxy.testkit.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(20)
class QuotaServiceTest {
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @TempDir
    Path dir;

    MutableClock clock;
    FileQuotaStore store;
    QuotaService service;

    @BeforeEach
    void setUp() {
        clock = MutableClock.atLocal("2026-11-25T14:00:00", BERLIN); // a Wednesday
        store = new FileQuotaStore(dir.resolve("quota_state.json"));
        service = new QuotaService(
                store,
                clock,
                Map.of("codebuddy", ResetSchedule.parse("daily@06:00", BERLIN)),
                ResetSchedule.parse("weekly", BERLIN));
    }

    @AfterEach
    void tearDown() {
        service.close();
    }

    @Test
    void exhaustionLastsUntilNextMondayThenClearsLazily() {
        assertThat(service.isAvailable("native")).isTrue();
        service.onFailure("native", new QuotaExhausted(Optional.empty(), "quota exhausted: 本周额度已用尽"));

        Instant monday = MutableClock.atLocal("2026-11-30T00:00:00", BERLIN).instant();
        assertThat(service.isAvailable("native")).isFalse();
        assertThat(service.unavailableUntil("native")).contains(monday);
        assertThat(store.get("native").resetAt()).isEqualTo(monday);

        clock.set(monday.minusMillis(1));
        assertThat(service.isAvailable("native")).isFalse();

        clock.set(monday);
        assertThat(service.isAvailable("native")).isTrue();
        assertThat(service.unavailableUntil("native")).isEmpty();
        // the clearing was persisted, and the history kept
        ProviderState persisted = new FileQuotaStore(dir.resolve("quota_state.json")).get("native");
        assertThat(persisted.quotaExhausted()).isFalse();
        assertThat(persisted.resetAt()).isNull();
        assertThat(persisted.lastError()).isEqualTo("quota exhausted: 本周额度已用尽");
    }

    @Test
    void upstreamNamedResetWinsOverTheSchedule() {
        Instant named = clock.instant().plus(Duration.ofHours(11));
        service.onFailure("native", new QuotaExhausted(Optional.of(named), "6004"));
        assertThat(service.unavailableUntil("native")).contains(named);
        // a named time already past falls back to the schedule
        service.onFailure(
                "other", new QuotaExhausted(Optional.of(clock.instant().minusSeconds(5)), "stale"));
        assertThat(service.unavailableUntil("other"))
                .contains(MutableClock.atLocal("2026-11-30T00:00:00", BERLIN).instant());
    }

    @Test
    void perProviderScheduleApplies() {
        service.onFailure("codebuddy", new QuotaExhausted(Optional.empty(), "credits exhausted"));
        assertThat(service.unavailableUntil("codebuddy"))
                .contains(MutableClock.atLocal("2026-11-26T06:00:00", BERLIN).instant());
    }

    @Test
    void schedulerClearsExhaustionWithoutAnyCall() throws Exception {
        service.onFailure("native", new QuotaExhausted(Optional.empty(), "weekly limit"));
        service.startScheduler();
        service.startScheduler(); // idempotent
        clock.setLocal("2026-11-30T00:00:01");
        // nothing touches the service: only the scheduler can clear the stored state
        awaitTrue(Duration.ofSeconds(10), () -> !store.get("native").quotaExhausted());
        assertThat(store.get("native").resetAt()).isNull();
    }

    @Test
    void rateLimitIsACooldownNotAWeeklyMark() {
        service.onFailure("codebuddy", new RateLimited(Duration.ofSeconds(40), "HTTP 429 rate_limit_error"));
        ProviderState s = store.get("codebuddy");
        assertThat(s.quotaExhausted()).isFalse();
        assertThat(s.resetAt()).isNull();
        assertThat(s.cooldownUntil()).isEqualTo(clock.instant().plusSeconds(40));
        assertThat(service.isAvailable("codebuddy")).isFalse();
        assertThat(service.unavailableUntil("codebuddy"))
                .contains(clock.instant().plusSeconds(40));

        clock.advance(Duration.ofSeconds(40));
        assertThat(service.isAvailable("codebuddy")).isTrue();
        assertThat(store.get("codebuddy").cooldownUntil()).isNull();
        assertThat(store.get("codebuddy").lastError()).isEqualTo("HTTP 429 rate_limit_error");
    }

    @Test
    void anOutageOnlyRecordsTheLastErrorForEachInstanceJudgesHealthItself() {
        service.onFailure("native", new Unavailable(Duration.ofSeconds(30), "HTTP 529 overloaded_error"));
        service.onFailure("native", new Unavailable(Duration.ofSeconds(5), "HTTP 502"));
        assertThat(service.unavailableUntil("native")).isEmpty();
        assertThat(service.isAvailable("native")).isTrue();
        assertThat(store.get("native").cooldownUntil()).isNull();
        assertThat(store.get("native").lastError()).isEqualTo("HTTP 502");
    }

    @Test
    void rateLimitCooldownIsNeverShortened() {
        service.onFailure("native", new RateLimited(Duration.ofSeconds(30), "HTTP 429 rate_limit_error"));
        service.onFailure("native", new RateLimited(Duration.ofSeconds(5), "HTTP 429 rate_limit_error"));
        assertThat(service.unavailableUntil("native")).contains(clock.instant().plusSeconds(30));
    }

    @Test
    void authAndClientErrorsOnlyRecordTheLastError() {
        service.onFailure("native", new AuthFailed("HTTP 401 authentication_error: invalid x-api-key"));
        assertThat(service.isAvailable("native")).isTrue();
        assertThat(store.get("native").lastError()).contains("invalid x-api-key");
        service.onFailure("native", new ClientError("HTTP 400 invalid_request_error: prompt is too long"));
        assertThat(service.isAvailable("native")).isTrue();
        assertThat(store.get("native").lastError()).contains("prompt is too long");
    }

    @Test
    void manualResetBringsItBackAndKeepsCounters() {
        service.onRequest("native");
        service.onRequest("native");
        service.onFailure("native", new QuotaExhausted(Optional.empty(), "x"));
        service.onFailure("codebuddy", new RateLimited(Duration.ofMinutes(5), "y"));
        service.reset("native");
        assertThat(service.isAvailable("native")).isTrue();
        assertThat(store.get("native").requestCount()).isEqualTo(2);
        assertThat(service.isAvailable("codebuddy")).isFalse();
        service.resetAll();
        assertThat(service.isAvailable("codebuddy")).isTrue();
    }

    @Test
    void pythonStateWithoutResetAtGetsOneFromTheSchedule() throws Exception {
        service.close();
        Path file = dir.resolve("python-state.json");
        Files.writeString(
                file,
                "{\"native_api\":{\"quota_exhausted\":true,\"exhausted_at\":\"2026-11-24T09:00:00\","
                        + "\"reset_at\":null,\"last_error\":\"weekly limit\",\"request_count\":3,\"last_request_at\":null},\"version\":2}");
        store = new FileQuotaStore(file);
        service = new QuotaService(store, clock, Map.of(), null);
        assertThat(service.isAvailable("native")).isFalse();
        Instant expected =
                LocalDateTime.parse("2026-11-30T00:00:00").atZone(BERLIN).toInstant();
        assertThat(service.unavailableUntil("native")).contains(expected);
    }

    @Test
    void viewShowsChainAndEveryField() {
        service.onRequest("native");
        service.onFailure("native", new QuotaExhausted(Optional.empty(), "quota exhausted: weekly limit"));
        service.onFailure("codebuddy", new RateLimited(Duration.ofSeconds(30), "HTTP 429"));
        service.onRequest("stray");
        clock.advance(Duration.ofMinutes(1));

        ObjectNode view = service.view(List.of("native", "codebuddy", "fresh"));
        assertThat(view.get("chain").toString()).isEqualTo("[\"native\",\"codebuddy\",\"fresh\"]");
        JsonNode providers = view.get("providers");
        assertThat(providers.fieldNames()).toIterable().containsExactly("native", "codebuddy", "fresh", "stray");

        JsonNode n = providers.get("native");
        assertThat(n.get("exhausted").asBoolean()).isTrue();
        assertThat(n.get("available").asBoolean()).isFalse();
        assertThat(n.get("reset_at").asText()).isEqualTo("2026-11-29T23:00:00.000Z");
        assertThat(n.get("exhausted_at").asText()).isEqualTo("2026-11-25T13:00:00.000Z");
        assertThat(n.get("time_until_reset").asText()).isEqualTo("4d 9h 59m");
        assertThat(n.get("reset_policy").asText()).isEqualTo("weekly (Monday 00:00 Europe/Berlin)");
        assertThat(n.get("request_count").asLong()).isEqualTo(1);
        assertThat(n.get("last_request_at").asText()).isEqualTo("2026-11-25T13:00:00.000Z");
        assertThat(n.get("last_error").asText()).isEqualTo("quota exhausted: weekly limit");
        assertThat(n.get("cooldown_until").isNull()).isTrue();

        JsonNode c = providers.get("codebuddy");
        assertThat(c.get("exhausted").asBoolean()).isFalse();
        assertThat(c.get("available").asBoolean()).isTrue(); // the 30 s cooldown ran out during the minute
        assertThat(c.get("cooldown_until").isNull()).isTrue();
        assertThat(c.get("reset_policy").asText()).isEqualTo("daily (06:00 Europe/Berlin)");

        JsonNode f = providers.get("fresh");
        assertThat(f.get("available").asBoolean()).isTrue();
        assertThat(f.get("reset_at").isNull()).isTrue();
        assertThat(f.get("time_until_reset").isNull()).isTrue();
        assertThat(f.get("request_count").asLong()).isZero();
    }

    static void awaitTrue(Duration bound, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        Object monitor = new Object();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime())
                    .as("condition not met within %s", bound)
                    .isLessThan(deadline);
            synchronized (monitor) {
                monitor.wait(20); // bounded poll interval
            }
        }
    }
}
