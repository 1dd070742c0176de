package org.anthropicproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RecordedRequest;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients against the real proxy: Claude Code {@value NodeClients#CLAUDE_CODE_VERSION} (print mode, stream-json)
 * holds a two-turn conversation with its own Bash tool through the proxy in passthrough, translation and hybrid
 * mode, and the official TypeScript SDK streams a tool call through translation. Both are installed from npm into
 * {@code .e2e/} (see {@code e2e/README.md}); without npm or the registry the suite fails, it does not skip.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class ClaudeCodeE2EIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMPT = "Run the end-to-end marker command with Bash and tell me exactly what it printed.";

    @TempDir
    Path scratch;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // includes the first npm install
    void passthroughClaudeCodeRunsBashThroughNativeAndQuotesTheOutput() throws Exception {
        NodeClients clients = NodeClients.get();
        BashToolScenario scenario = new BashToolScenario();
        try (UpstreamSimulator nativeSim = new UpstreamSimulator(scenario.anthropic());
             ProxyHarness proxy = ProxyHarness.start("""
                     providers:
                       native: {base_url: "%s", api_key: k}
                     route: [native]
                     """.formatted(nativeSim.baseUrl()));
             RecordingFront front = new RecordingFront(proxy.baseUrl())) {
            ClaudeCodeRun run = ClaudeCodeRun.run(clients, scratch, front.baseUrl(), PROMPT);
            report("passthrough", front, Map.of("native", nativeSim.received()), run, scenario);

            assertFinishedWithMarker(run, front, scenario);
            assertThat(scenario.steps).containsSubsequence("native:tool_use", "native:final");
            List<RecordedRequest> upstream = inference(nativeSim.received());
            assertThat(upstream).hasSizeGreaterThanOrEqualTo(2);
            List<RecordingFront.Exchange> client = inferenceExchanges(front);
            for (RecordedRequest r : upstream) {
                assertThat(r.path()).isEqualTo("/v1/messages");
                assertThat(r.header("x-api-key")).isEqualTo("k");
                assertThat(r.json().path("model").asText()).isEqualTo("claude-4.5-sonnet");
            }
            // betas and the mid-conversation system entry reach a passthrough upstream unchanged
            assertThat(upstream.get(0).header("anthropic-beta")).isEqualTo(client.get(0).headers().get("anthropic-beta").get(0));
            assertThat(systemEntries(upstream.get(0).json())).isEqualTo(systemEntries(JSON.readTree(client.get(0).body())));
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void report(String mode, RecordingFront front, Map<String, List<RecordedRequest>> upstreams,
                               ClaudeCodeRun run, BashToolScenario scenario) {
        ModeReport.write(mode, front.exchanges(), new LinkedHashMap<>(upstreams), run, scenario.steps);
    }

    private static void assertFinishedWithMarker(ClaudeCodeRun run, RecordingFront front, BashToolScenario scenario) {
        assertThat(run.process.timedOut()).as(run.describe()).isFalse();
        assertThat(front.exchanges()).as("requests Claude Code made that the proxy refused: %s", ModeReport.summary(front.exchanges()))
                .allSatisfy(e -> assertThat(e.status()).as("%s %s → %s", e.method(), e.path(),
                        new String(e.responseHead(), java.nio.charset.StandardCharsets.UTF_8)).isLessThan(400));
        assertThat(run.process.stdout()).as(run.describe()).doesNotContain("API Error");
        JsonNode result = run.result();
        assertThat(result).as("no stream-json line of type result; " + run.describe()).isNotNull();
        assertThat(result.path("is_error").asBoolean()).as(result.toString()).isFalse();
        assertThat(result.path("subtype").asText()).as(result.toString()).isEqualTo("success");
        assertThat(result.path("result").asText()).as(result.toString()).contains(scenario.marker);
        assertThat(run.process.exitCode()).as(run.describe()).isZero();
    }

    /** Upstream requests that carry the conversation (Claude Code's own tools), not side requests. */
    private static List<RecordedRequest> inference(List<RecordedRequest> received) {
        return received.stream().filter(r -> r.body().length > 0 && r.json().path("tools").size() > 0).toList();
    }

    private static List<RecordingFront.Exchange> inferenceExchanges(RecordingFront front) {
        return front.exchanges().stream().filter(e -> e.path().equals("/v1/messages")).toList();
    }

    private static List<String> systemEntries(JsonNode body) {
        List<String> out = new java.util.ArrayList<>();
        for (JsonNode m : body.path("messages")) {
            if ("system".equals(m.path("role").asText())) {
                out.add(ModeReport.text(m.path("content")));
            }
        }
        return out;
    }
}
