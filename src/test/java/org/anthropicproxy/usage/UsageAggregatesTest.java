package org.anthropicproxy.usage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.anthropicproxy.provider.Usage;
import org.anthropicproxy.server.AccessLog;
import org.anthropicproxy.testkit.MutableClock;
import org.anthropicproxy.testkit.ThreadCensus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Daily aggregates in SQLite, their day boundaries taken from the injected clock's zone, and retention. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UsageAggregatesTest {

    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    @TempDir
    Path dir;

    private UsageRecorder recorder;

    @AfterEach
    void stop() {
        if (recorder != null) {
            recorder.close();
        }
    }

    private UsageApi api(MutableClock clock, Duration retention) {
        recorder = new UsageRecorder(
                        new SqliteUsageStore(dir.resolve("usage.db"), PARIS), clock, retention, Duration.ofMillis(50))
                .start();
        return apiOf(recorder, retention);
    }

    static UsageApi apiOf(UsageRecorder recorder, Duration retention) {
        return new UsageApi(recorder, Pricing.defaults(), retention);
    }

    private static AccessLog.Entry entry(
            String model, String provider, String key, long in, long out, long cr, long cw) {
        return new AccessLog.Entry(
                "req_" + in,
                "POST",
                "/v1/messages",
                model,
                provider,
                model,
                200,
                false,
                1000,
                2000,
                new Usage(in, out, cr, cw),
                0,
                null,
                key);
    }

    @Test
    void dayAndWeekBoundariesFollowTheClockZone() {
        // Sunday 2026-12-06 23:59:59 in Paris is still Sunday there, though already past 22:59 UTC
        MutableClock clock = MutableClock.atLocal("2026-12-06T23:59:59", PARIS);
        UsageApi api = api(clock, Duration.ofDays(90));
        api.served(entry("claude-sonnet-4-5", "native", "k1", 10, 20, 30, 40));
        clock.setLocal("2026-12-07T00:00:01"); // Monday: a new day and a new week
        api.served(entry("claude-sonnet-4-5", "native", "k1", 1, 2, 3, 4));
        api.served(entry("gpt-4o", "openai", "k2", 100, 200, 0, 0));
        waitFor(() -> recorder.committed() == 3);

        List<DailyRow> rows = recorder.store().daily(LocalDate.parse("2026-12-01"), LocalDate.parse("2026-12-31"));
        LocalDate sunday = LocalDate.parse("2026-12-06");
        LocalDate monday = LocalDate.parse("2026-12-07");
        assertThat(rows)
                .containsExactlyInAnyOrder(
                        new DailyRow(sunday, "native", "claude-sonnet-4-5", "k1", new Totals(1, 10, 20, 30, 40)),
                        new DailyRow(monday, "native", "claude-sonnet-4-5", "k1", new Totals(1, 1, 2, 3, 4)),
                        new DailyRow(monday, "openai", "gpt-4o", "k2", new Totals(1, 100, 200, 0, 0)));

        LocalDate from = LocalDate.parse("2026-11-01");
        LocalDate to = LocalDate.parse("2026-12-31");
        ObjectNode byDay = UsageReport.build(rows, from, to, UsageReport.GroupBy.DAY, Pricing.defaults());
        assertThat(keys(byDay)).containsExactly("2026-12-06", "2026-12-07");
        assertThat(byDay.at("/rows/1/requests").asLong()).isEqualTo(2);
        assertThat(byDay.at("/rows/1/input_tokens").asLong()).isEqualTo(101);
        assertThat(byDay.at("/rows/1/tokens_by_model/gpt-4o").asLong()).isEqualTo(300);

        ObjectNode byWeek = UsageReport.build(rows, from, to, UsageReport.GroupBy.WEEK, Pricing.defaults());
        assertThat(keys(byWeek)).containsExactly("2026-11-30", "2026-12-07");
        assertThat(byWeek.at("/rows/0/output_tokens").asLong()).isEqualTo(20);
        assertThat(byWeek.at("/rows/1/output_tokens").asLong()).isEqualTo(202);

        ObjectNode byMonth = UsageReport.build(rows, from, to, UsageReport.GroupBy.MONTH, Pricing.defaults());
        assertThat(keys(byMonth)).containsExactly("2026-12");

        ObjectNode byModel = UsageReport.build(rows, from, to, UsageReport.GroupBy.MODEL, Pricing.defaults());
        assertThat(keys(byModel)).containsExactly("gpt-4o", "claude-sonnet-4-5");
        JsonNode sonnet = byModel.at("/rows/1");
        assertThat(sonnet.get("requests").asLong()).isEqualTo(2);
        assertThat(sonnet.get("cache_read_input_tokens").asLong()).isEqualTo(33);
        assertThat(sonnet.get("cache_creation_input_tokens").asLong()).isEqualTo(44);
        // (11 * 3 + 22 * 15 + 33 * 0.3 + 44 * 3.75) / 1e6 = 0.0005379, to 6 decimals
        assertThat(sonnet.get("cost_usd").asDouble()).isEqualTo(0.000538);
        assertThat(byModel.at("/rows/0/cost_usd").isNull())
                .as("gpt-4o has no built-in price")
                .isTrue();

        JsonNode total = byModel.get("total");
        assertThat(total.get("requests").asLong()).isEqualTo(3);
        assertThat(total.get("total_tokens").asLong()).isEqualTo(10 + 20 + 30 + 40 + 1 + 2 + 3 + 4 + 300);
        assertThat(total.get("cost_usd").asDouble()).isEqualTo(0.000538);
        assertThat(total.get("cost_complete").asBoolean(true)).isFalse();

        ObjectNode byKey = UsageReport.build(rows, from, to, UsageReport.GroupBy.KEY, Pricing.defaults());
        assertThat(keys(byKey)).containsExactly("k2", "k1");
    }

    @Test
    void retentionDropsOldDaysWhenTheClockTurnsADay() {
        MutableClock clock = MutableClock.atLocal("2026-12-08T12:00", PARIS);
        SqliteUsageStore store = new SqliteUsageStore(dir.resolve("usage.db"), PARIS);
        long day = Duration.ofDays(1).toMillis();
        long now = clock.millis();
        store.append(List.of(record(now - 100 * day), record(now - 89 * day), record(now - 88 * day), record(now)));
        recorder = new UsageRecorder(store, clock, Duration.ofDays(90), Duration.ofMillis(50)).start();
        LocalDate from = LocalDate.parse("2026-01-01");
        LocalDate to = LocalDate.parse("2026-12-31");
        // 90 days: today and the 89 before
        waitFor(() -> store.daily(from, to).size() == 3);
        assertThat(store.daily(from, to))
                .extracting(DailyRow::day)
                .containsExactly(
                        LocalDate.parse("2026-09-10"), LocalDate.parse("2026-09-11"), LocalDate.parse("2026-12-08"));
        assertThat(store.recent(10)).hasSize(3);

        clock.advance(Duration.ofDays(1));
        waitFor(() -> store.daily(from, to).size() == 2);
        assertThat(store.recent(10)).extracting(UsageRecord::timeMillis).containsExactly(now, now - 88 * day);
    }

    private static UsageRecord record(long time) {
        return new UsageRecord(
                time, "r" + time, null, "native", "m", "claude-sonnet-4-5", true, 200, 0, 10, 20, 1, 2, 3, 4);
    }

    private static List<String> keys(JsonNode report) {
        return report.get("rows").findValuesAsText("key");
    }

    static void waitFor(BooleanSupplier condition) {
        try {
            assertThat(ThreadCensus.await(Duration.ofSeconds(20), condition))
                    .as("condition not met in time")
                    .isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
