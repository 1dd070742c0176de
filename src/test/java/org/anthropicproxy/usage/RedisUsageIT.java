package org.anthropicproxy.usage;

import static org.anthropicproxy.usage.UsageAggregatesTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RedisServerProcess;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two proxies sharing one real Redis (quota and, by default, usage): each increments the same daily hashes and
 * appends to the same stream, so either answers for both.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisUsageIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void twoInstancesTotalsAddUpOnEither() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start();
                UpstreamSimulator upstream =
                        new UpstreamSimulator(r -> r.json().path("stream").asBoolean()
                                ? UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse"))
                                : UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")))) {
            String yaml = """
                    providers:
                      anth: {kind: anthropic, base_url: "%s", api_key: k}
                    route: [anth]
                    """.formatted(upstream.baseUrl());
            CliOverrides cli = new CliOverrides(null, null, null, null, null, redis.uri());
            try (ProxyHarness a = ProxyHarness.start(yaml, Map.of(), cli);
                    ProxyHarness b = ProxyHarness.start(yaml, Map.of(), cli)) {
                assertThat(a.app().config().usage().store()).isEqualTo(redis.uri());
                for (int i = 0; i < 5; i++) {
                    assertThat(message(a, i % 2 == 0).statusCode()).isEqualTo(200);
                }
                for (int i = 0; i < 3; i++) {
                    assertThat(message(b, i % 2 == 1).statusCode()).isEqualTo(200);
                }
                waitFor(() ->
                        a.app().usage().committed() == 5 && b.app().usage().committed() == 3);
                for (ProxyHarness p : List.of(a, b)) {
                    JsonNode r = JSON.readTree(p.get("/v1/usage?group_by=model").body());
                    assertThat(r.at("/total/requests").asLong()).isEqualTo(8);
                    // both fixtures report 12 input tokens; 30 output streamed, the message's own count otherwise
                    assertThat(r.at("/total/input_tokens").asLong()).isEqualTo(8 * 12);
                    assertThat(r.get("rows").findValuesAsText("key")).containsExactly("claude-sonnet-4-5");
                    assertThat(r.at("/rows/0/cost_usd").isNumber()).isTrue();
                    assertThat(JSON.readTree(p.get("/v1/usage/recent").body()).get("requests"))
                            .hasSize(8);
                }
                long output = JSON.readTree(a.get("/v1/usage").body())
                        .at("/total/output_tokens")
                        .asLong();
                long fixtureOut = JSON.readTree(Fixtures.text("anthropic/message-text.json"))
                        .at("/usage/output_tokens")
                        .asLong();
                assertThat(output).isEqualTo(4 * 30 + 4 * fixtureOut);
            }
        }
    }

    @Test
    void retentionDropsOldDayHashes() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start();
                RedisUsageStore store = new RedisUsageStore(redis.uri(), ZoneOffset.UTC, Duration.ofDays(90))) {
            long day = 86_400_000L;
            long now = LocalDate.parse("2026-12-08")
                            .atStartOfDay(ZoneOffset.UTC)
                            .toInstant()
                            .toEpochMilli()
                    + 3_600_000;
            store.append(List.of(record(now - 100 * day), record(now - 60 * day), record(now - 10 * day), record(now)));
            LocalDate from = LocalDate.parse("2026-01-01");
            LocalDate to = LocalDate.parse("2026-12-31");
            // a day already past the retention expires at once
            assertThat(store.daily(from, to))
                    .extracting(DailyRow::day)
                    .containsExactly(
                            LocalDate.parse("2026-10-09"),
                            LocalDate.parse("2026-11-28"),
                            LocalDate.parse("2026-12-08"));
            store.deleteBefore(LocalDate.parse("2026-11-01"));
            assertThat(store.daily(from, to))
                    .extracting(DailyRow::day)
                    .containsExactly(LocalDate.parse("2026-11-28"), LocalDate.parse("2026-12-08"));
        }
    }

    private static UsageRecord record(long time) {
        return new UsageRecord(time, "r", null, "native", "m", "claude-sonnet-4-5", true, 200, 0, 10, 20, 1, 2, 3, 4);
    }

    private static HttpResponse<String> message(ProxyHarness p, boolean stream) {
        return p.post("/v1/messages", """
                {"model":"claude-sonnet-4-5","max_tokens":64,"stream":%s,"messages":[{"role":"user","content":"Hi"}]}
                """.formatted(stream), "content-type", "application/json");
    }
}
