package org.anthropicproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stream whose upstream goes quiet gets the proxy's {@code ping} events, between whole events only, and nothing
 * else changes: the passthrough stream minus those pings is the upstream's, byte for byte.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KeepAlivePingIT {

    private static final String PING = "event: ping\ndata: {\"type\": \"ping\"}\n\n";
    private static final Duration QUIET = Duration.ofMillis(300);

    private static UpstreamSimulator anthropic;
    private static UpstreamSimulator openai;
    private static ProxyHarness proxy;

    @BeforeAll
    static void start() {
        anthropic = new UpstreamSimulator(r ->
                UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse")).withPause(QUIET));
        openai = new UpstreamSimulator(r -> UpstreamScript.sse(Fixtures.text("openai/stream-text-include-usage.sse"))
                .withPause(QUIET));
        proxy = ProxyHarness.start("""
                server: {ping_interval: 100ms}
                providers:
                  pt: {kind: anthropic, base_url: "%s", api_key: k}
                  tr: {kind: openai, base_url: "%s", api_key: k}
                route: [pt]
                routes:
                  - {match: "tr-*", chain: [tr]}
                """.formatted(anthropic.baseUrl(), openai.baseUrl()));
    }

    @AfterAll
    static void stop() {
        proxy.close();
        anthropic.close();
        openai.close();
    }

    private static HttpResponse<String> stream(String model) {
        return proxy.post(
                "/v1/messages",
                "{\"model\":\"" + model + "\",\"max_tokens\":64,\"stream\":true,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "content-type",
                "application/json");
    }

    @Test
    void aQuietPassthroughStreamIsPingedAndOtherwiseUntouched() {
        HttpResponse<String> r = stream("claude-sonnet-4-5");
        assertThat(r.statusCode()).isEqualTo(200);
        String body = r.body();
        assertThat(count(body, PING)).as("pings while the upstream was quiet").isGreaterThanOrEqualTo(3);
        String upstream = Fixtures.text("anthropic/stream-text.sse").replace("\r\n", "\n");
        assertThat(body.replace(PING, "")).isEqualTo(upstream);
    }

    @Test
    void aQuietTranslatedStreamIsPingedBetweenWholeEvents() {
        HttpResponse<String> r = stream("tr-model");
        assertThat(r.statusCode()).isEqualTo(200);
        String body = r.body();
        assertThat(count(body, PING)).isGreaterThanOrEqualTo(3);
        String rest = body.replace(PING, "");
        assertThat(rest)
                .startsWith("event: message_start\n")
                .endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        // every event ends with a blank line (asserted above): split what is before the last one
        for (String event : rest.substring(0, rest.length() - 2).split("\n\n", -1)) {
            assertThat(event).as("a whole event").matches("(?s)event: [a-z_]+\ndata: \\{.*\\}");
        }
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + part.length())) {
            n++;
        }
        return n;
    }
}
