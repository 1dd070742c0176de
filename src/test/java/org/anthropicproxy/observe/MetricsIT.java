package org.anthropicproxy.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics} through a real proxy with two simulated upstreams in a failover chain. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsIT {

    private static final String QUOTA_BODY =
            "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"本周额度已用尽，请下周再试 (weekly limit reached)\"}}";
    private static final String REQUESTS = "anthropic_proxy_requests_total";
    private static final String TOKENS = "anthropic_proxy_tokens_total";

    @TempDir
    Path dir;

    private UpstreamSimulator first;
    private UpstreamSimulator second;
    private ProxyHarness proxy;

    @BeforeEach
    void start() {
        first = new UpstreamSimulator(MetricsIT::anthropicAnswer);
        second = new UpstreamSimulator(MetricsIT::anthropicAnswer);
        proxy = ProxyHarness.start(
                """
                providers:
                  first: {kind: anthropic, base_url: "%s", api_key: first-key}
                  second: {kind: anthropic, base_url: "%s", api_key: second-key}
                route: [first, second]
                """.formatted(first.baseUrl(), second.baseUrl()),
                Map.of(),
                new CliOverrides(
                        null, null, null, null, null, dir.resolve("quota.json").toString()));
    }

    @AfterEach
    void stop() {
        proxy.close();
        first.close();
        second.close();
    }

    private static UpstreamScript anthropicAnswer(org.anthropicproxy.testkit.RecordedRequest r) {
        return r.json().path("stream").asBoolean()
                ? UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse"))
                : UpstreamScript.json(
                        200,
                        Fixtures.text("anthropic/message-text.json")
                                .replace("\"cache_creation_input_tokens\": 0", "\"cache_creation_input_tokens\": 7")
                                .replace("\"cache_read_input_tokens\": 0", "\"cache_read_input_tokens\": 5"));
    }

    private HttpResponse<String> message(boolean stream) {
        return proxy.post("/v1/messages", """
                {"model":"claude-sonnet-4-5","max_tokens":64,"stream":%s,"messages":[{"role":"user","content":"Hello"}]}
                """.formatted(stream), "content-type", "application/json");
    }

    /**
     * A scrape once {@code messages} message requests are recorded. A request is counted when it has ended, which
     * can be just after its client read the last byte: the scrape waits (bounded) for that, not for a fixed time.
     */
    private PrometheusText scrapeAfter(int messages) {
        return scrapeWhen(m -> m.sum(REQUESTS, "endpoint", "messages") >= messages);
    }

    private PrometheusText scrapeWhen(Predicate<PrometheusText> recorded) {
        PrometheusText[] last = new PrometheusText[1];
        try {
            org.anthropicproxy.testkit.ThreadCensus.await(
                    Duration.ofSeconds(5), () -> recorded.test(last[0] = scrape()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return last[0];
    }

    private PrometheusText scrape() {
        HttpResponse<String> r = proxy.get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type"))
                .hasValueSatisfying(ct -> assertThat(ct.replace(" ", "").toLowerCase(Locale.ROOT))
                        .isEqualTo("text/plain;version=0.0.4;charset=utf-8"));
        return PrometheusText.parse(r.body());
    }

    @Test
    void servesWellFormedPrometheusTextWithTypesForEveryFamily() {
        PrometheusText m = scrape();
        assertThat(m.types)
                .containsEntry("anthropic_proxy_build_info", "gauge")
                .containsEntry("anthropic_proxy_open_streams", "gauge")
                .containsEntry("anthropic_proxy_quota_exhausted", "gauge")
                .containsEntry("anthropic_proxy_provider_available", "gauge")
                .containsEntry("anthropic_proxy_credential_available", "gauge")
                .containsEntry("jvm_memory_used_bytes", "gauge")
                .containsEntry("jvm_threads_live_threads", "gauge")
                .containsEntry("process_cpu_usage", "gauge");
        assertThat(m.types.keySet()).anyMatch(t -> t.startsWith("jvm_gc_"));
        assertThat(m.value("anthropic_proxy_quota_exhausted", "provider", "first"))
                .isZero();
        assertThat(m.value("anthropic_proxy_provider_available", "provider", "second"))
                .isEqualTo(1);
        // static api keys: available, never expire
        assertThat(m.value("anthropic_proxy_credential_available", "provider", "first"))
                .isEqualTo(1);
        assertThat(m.value("anthropic_proxy_credential_expires_in_seconds", "provider", "first"))
                .isNaN();
        assertThat(m.value("anthropic_proxy_open_streams")).isZero();
        assertThat(m.matching("anthropic_proxy_build_info").get(0).labels()).containsKeys("version", "build_time");
    }

    @Test
    void nonStreamRequestCountsStatusLatencyAndTokens() {
        assertThat(message(false).statusCode()).isEqualTo(200);
        PrometheusText m = scrapeAfter(1);
        assertThat(m.value(
                        REQUESTS,
                        "endpoint",
                        "messages",
                        "provider",
                        "first",
                        "model",
                        "claude-sonnet-4-5",
                        "status",
                        "2xx",
                        "stream",
                        "false"))
                .isEqualTo(1);
        assertThat(m.value(TOKENS, "provider", "first", "type", "input")).isEqualTo(12);
        assertThat(m.value(TOKENS, "provider", "first", "type", "output")).isEqualTo(29);
        assertThat(m.value(TOKENS, "provider", "first", "type", "cache_read")).isEqualTo(5);
        assertThat(m.value(TOKENS, "provider", "first", "type", "cache_write")).isEqualTo(7);
        assertThat(m.types)
                .containsEntry("anthropic_proxy_request_duration_seconds", "histogram")
                .containsEntry("anthropic_proxy_time_to_first_byte_seconds", "histogram");
        assertThat(m.value("anthropic_proxy_request_duration_seconds_count", "provider", "first", "stream", "false"))
                .isEqualTo(1);
        assertThat(m.value("anthropic_proxy_time_to_first_byte_seconds_count", "provider", "first", "stream", "false"))
                .isEqualTo(1);
        assertThat(m.value(
                        "anthropic_proxy_request_duration_seconds_bucket",
                        "provider",
                        "first",
                        "stream",
                        "false",
                        "le",
                        "+Inf"))
                .isEqualTo(1);
        assertThat(m.value("anthropic_proxy_request_duration_seconds_sum", "provider", "first", "stream", "false"))
                .isPositive();
    }

    @Test
    void streamAndNonStreamAreCountedApartAndTokensAddUp() {
        assertThat(message(true).statusCode()).isEqualTo(200);
        assertThat(message(true).statusCode()).isEqualTo(200);
        assertThat(message(false).statusCode()).isEqualTo(200);
        PrometheusText m = scrapeAfter(3);
        assertThat(m.sum(REQUESTS, "provider", "first", "status", "2xx", "stream", "true"))
                .isEqualTo(2);
        assertThat(m.sum(REQUESTS, "provider", "first", "status", "2xx", "stream", "false"))
                .isEqualTo(1);
        assertThat(m.value(TOKENS, "provider", "first", "type", "output")).isEqualTo(30 + 30 + 29);
        assertThat(m.value("anthropic_proxy_time_to_first_byte_seconds_count", "provider", "first", "stream", "true"))
                .isEqualTo(2);
        assertThat(m.sum(TOKENS, "provider", "second")).isZero();
    }

    @Test
    void upstreamErrorIsCountedByStatusClass() {
        first.enqueue(UpstreamScript.json(400, Fixtures.text("anthropic/error-400-invalid-request.json")));
        assertThat(message(false).statusCode()).isEqualTo(400);
        assertThat(proxy.post("/v1/messages", "{\"model\":\"x\"}", "content-type", "application/json")
                        .statusCode())
                .isEqualTo(400);
        PrometheusText m = scrapeAfter(2);
        assertThat(m.sum(REQUESTS, "endpoint", "messages", "provider", "first", "status", "4xx"))
                .isEqualTo(1);
        // rejected by the proxy before any provider was chosen
        assertThat(m.sum(REQUESTS, "endpoint", "messages", "provider", "none", "status", "4xx"))
                .isEqualTo(1);
        assertThat(m.sum(REQUESTS, "status", "2xx", "endpoint", "messages")).isZero();
        assertThat(m.sum("anthropic_proxy_failovers_total")).isZero();
    }

    @Test
    void failoverIsCountedByTheProviderThatFailedAndQuotaStateShows() {
        first.enqueue(UpstreamScript.json(429, QUOTA_BODY));
        assertThat(message(false).statusCode()).isEqualTo(200);
        PrometheusText m = scrapeAfter(1);
        assertThat(m.value("anthropic_proxy_failovers_total", "from", "first", "to", "second"))
                .isEqualTo(1);
        assertThat(m.sum(REQUESTS, "provider", "second", "status", "2xx")).isEqualTo(1);
        assertThat(m.sum(REQUESTS, "provider", "first")).isZero();
        assertThat(m.value("anthropic_proxy_quota_exhausted", "provider", "first"))
                .isEqualTo(1);
        assertThat(m.value("anthropic_proxy_provider_available", "provider", "first"))
                .isZero();
        assertThat(m.value("anthropic_proxy_quota_exhausted", "provider", "second"))
                .isZero();

        // first is now skipped: no further failover, second serves
        assertThat(message(true).statusCode()).isEqualTo(200);
        PrometheusText after = scrapeAfter(2);
        assertThat(after.sum("anthropic_proxy_failovers_total")).isEqualTo(1);
        assertThat(after.sum(REQUESTS, "provider", "second", "status", "2xx")).isEqualTo(2);
        assertThat(first.received()).hasSize(1);
    }

    @Test
    void otherEndpointsAreCountedWithoutProviderOrLatency() {
        assertThat(proxy.get("/health").statusCode()).isEqualTo(200);
        assertThat(proxy.get("/nowhere").statusCode()).isEqualTo(404);
        PrometheusText m = scrapeWhen(x -> x.sum(REQUESTS, "endpoint", "other", "status", "4xx") >= 1);
        assertThat(m.sum(REQUESTS, "endpoint", "other", "status", "2xx")).isGreaterThanOrEqualTo(1);
        assertThat(m.sum(REQUESTS, "endpoint", "other", "status", "4xx")).isEqualTo(1);
        assertThat(m.sum("anthropic_proxy_request_duration_seconds_count")).isZero();
    }

    @Test
    void theParserRejectsWhatPrometheusWould() {
        assertThatThrownBy(() -> PrometheusText.parse("x_total 1\n")).hasMessageContaining("# TYPE");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE x counter\nx_total{a=\"1\" 1\n"))
                .hasMessageContaining("line 2");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE x gauge\nx one\n"))
                .hasMessageContaining("value");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE x gauge\n# TYPE x gauge\n"))
                .hasMessageContaining("second");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE x gauge\nx_total 1\n"))
                .hasMessageContaining("# TYPE");
        PrometheusText ok =
                PrometheusText.parse("# HELP x a \"thing\"\n# TYPE x counter\nx_total{a=\"q\\\"\\\\\",b=\"\"} 2.5e3\n");
        assertThat(ok.value("x_total", "a", "q\"\\")).isEqualTo(2500);
    }
}
