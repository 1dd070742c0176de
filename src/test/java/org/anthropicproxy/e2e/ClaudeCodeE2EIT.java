package org.anthropicproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RecordedRequest;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real clients against the real proxy: Claude Code {@value NodeClients#CLAUDE_CODE_VERSION} (print mode, stream-json)
 * holds a two-turn conversation with its own Bash tool through the proxy in passthrough, translation and hybrid
 * mode, and the official TypeScript SDK streams a tool call through translation. Both are installed from npm into
 * {@code .e2e/} (see {@code e2e/README.md}); without npm or the registry the suite fails, it does not skip.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class ClaudeCodeE2EIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMPT =
            "Run the end-to-end marker command with Bash and tell me exactly what it printed.";

    @TempDir
    Path scratch;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // includes the first npm install
    void passthroughClaudeCodeRunsBashThroughNativeAndQuotesTheOutput() throws Exception {
        passthrough("passthrough", false);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void passthroughWithNonEssentialTrafficAnswersClaudeCodesConnectivityProbe() throws Exception {
        List<RecordingFront.Exchange> client = passthrough("passthrough-nonessential", true);
        assertThat(client)
                .filteredOn(e -> !e.path().startsWith("/v1/messages"))
                .extracting(e -> e.method() + " " + e.path() + " " + e.status())
                .contains("HEAD /api/hello 200");
    }

    private List<RecordingFront.Exchange> passthrough(String mode, boolean nonEssentialTraffic) throws Exception {
        NodeClients clients = NodeClients.get();
        BashToolScenario scenario = new BashToolScenario();
        try (UpstreamSimulator nativeSim = new UpstreamSimulator(scenario.anthropic());
                ProxyHarness proxy = ProxyHarness.start("""
                     providers:
                       native: {base_url: "%s", api_key: k}
                     route: [native]
                     """.formatted(nativeSim.baseUrl()));
                RecordingFront front = new RecordingFront(proxy.baseUrl())) {
            ClaudeCodeRun run = ClaudeCodeRun.run(
                    clients, scratch, front.baseUrl(), ClaudeCodeRun.DEFAULT_MODEL, PROMPT, nonEssentialTraffic);
            report(mode, front, Map.of("native", nativeSim.received()), run, scenario);

            assertFinishedWithMarker(run, front, scenario);
            assertThat(scenario.steps).containsSubsequence("native:tool_use", "native:final");
            List<RecordedRequest> upstream = inference(nativeSim.received());
            List<RecordingFront.Exchange> client = inferenceExchanges(front);
            assertThat(upstream).hasSameSizeAs(client).hasSizeGreaterThanOrEqualTo(2);
            for (int i = 0; i < upstream.size(); i++) {
                RecordedRequest r = upstream.get(i);
                JsonNode sent = JSON.readTree(client.get(i).body());
                assertThat(r.path()).isEqualTo("/v1/messages");
                assertThat(r.header("x-api-key")).isEqualTo("k");
                assertThat(r.json().path("model").asText()).isEqualTo("claude-4.5-opus");
                // the native preset strips Claude Code's attribution line from the system prompt
                assertThat(sent.at("/system/0/text").asText()).startsWith("x-anthropic-billing-header:");
                assertThat(r.json().path("system").toString()).doesNotContain("x-anthropic-billing-header");
                // betas, adaptive thinking, effort and the mid-conversation system entry reach the upstream unchanged
                assertThat(r.header("anthropic-beta"))
                        .isEqualTo(client.get(i).headers().get("anthropic-beta").get(0));
                for (String field :
                        List.of("thinking", "output_config", "context_management", "tools", "messages", "metadata")) {
                    assertThat(r.json().get(field)).as(field).isEqualTo(sent.get(field));
                }
            }
            assertThat(systemEntries(upstream.get(0).json()))
                    .singleElement()
                    .asString()
                    .contains("# Environment");
            return front.exchanges();
        }
    }

    @ParameterizedTest(name = "--model {0}")
    @ValueSource(strings = {ClaudeCodeRun.DEFAULT_MODEL, "claude-sonnet-4-5"})
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void translationClaudeCodeRunsBashThroughCodebuddyAndQuotesTheOutput(String model) throws Exception {
        NodeClients clients = NodeClients.get();
        BashToolScenario scenario = new BashToolScenario();
        try (UpstreamSimulator openAiSim = new UpstreamSimulator(scenario.openAi());
                ProxyHarness proxy = ProxyHarness.start("""
                     providers:
                       codebuddy: {base_url: "%s", api_key: k}
                     route: [codebuddy]
                     """.formatted(openAiSim.baseUrl()));
                RecordingFront front = new RecordingFront(proxy.baseUrl())) {
            ClaudeCodeRun run = ClaudeCodeRun.run(clients, scratch, front.baseUrl(), model, PROMPT);
            String mode = model.equals(ClaudeCodeRun.DEFAULT_MODEL) ? "translation" : "translation-" + model;
            report(mode, front, Map.of("codebuddy", openAiSim.received()), run, scenario);

            assertFinishedWithMarker(run, front, scenario);
            assertThat(scenario.steps).containsSubsequence("openai:tool_calls", "openai:final");
            List<RecordedRequest> upstream = inference(openAiSim.received());
            assertThat(upstream).hasSizeGreaterThanOrEqualTo(2);
            for (RecordedRequest r : upstream) {
                assertThat(r.path()).isEqualTo("/chat/completions");
                assertThat(r.header("authorization")).isEqualTo("Bearer k");
                assertThat(r.json().path("stream").asBoolean()).isTrue();
                assertThat(r.bodyText()).doesNotContain("x-anthropic-billing-header");
                assertThat(r.json().path("model").asText())
                        .isEqualTo(model.contains("opus") ? "claude-opus-4.5" : "claude-4.5");
            }
            JsonNode last = upstream.get(upstream.size() - 1).json();
            // the tool call and its result survive the round trip through the OpenAI shapes
            assertThat(scenario.openAiToolResult(last.path("messages"))).contains(scenario.marker);
            boolean clientSentEnvironment = inferenceExchanges(front).stream()
                    .anyMatch(e -> !systemEntries(readTree(e.body())).isEmpty());
            if (clientSentEnvironment) {
                // Claude Code's environment block (a role:"system" entry inside messages) must not be dropped
                assertThat(last.path("messages").findValuesAsText("content").toString())
                        .contains("Primary working directory: " + scratch.resolve("work"));
            }
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void hybridClaudeCodeFinishesOnCodebuddyWhenNativeRunsOutOfQuotaMidConversation() throws Exception {
        NodeClients clients = NodeClients.get();
        BashToolScenario scenario = new BashToolScenario();
        try (UpstreamSimulator nativeSim = new UpstreamSimulator(scenario.anthropicThenQuotaExhausted());
                UpstreamSimulator openAiSim = new UpstreamSimulator(scenario.openAi());
                ProxyHarness proxy = ProxyHarness.start("""
                     providers:
                       native: {base_url: "%s", api_key: k}
                       codebuddy: {base_url: "%s", api_key: k}
                     route: [native, codebuddy]
                     """.formatted(nativeSim.baseUrl(), openAiSim.baseUrl()));
                RecordingFront front = new RecordingFront(proxy.baseUrl())) {
            ClaudeCodeRun run =
                    ClaudeCodeRun.run(clients, scratch, front.baseUrl(), ClaudeCodeRun.DEFAULT_MODEL, PROMPT);
            Map<String, List<RecordedRequest>> upstreams = new LinkedHashMap<>();
            upstreams.put("native", nativeSim.received());
            upstreams.put("codebuddy", openAiSim.received());
            report("hybrid", front, upstreams, run, scenario);

            assertFinishedWithMarker(run, front, scenario);
            assertThat(scenario.steps).containsSubsequence("native:tool_use", "native:quota-429", "openai:final");
            // the 429 never reached Claude Code: the proxy failed over before answering
            assertThat(inferenceExchanges(front))
                    .extracting(RecordingFront.Exchange::status)
                    .containsOnly(200);
            JsonNode quota = JSON.readTree(proxy.get("/v1/quota").body());
            assertThat(quota.at("/providers/native/exhausted").asBoolean())
                    .as(quota.toString())
                    .isTrue();
            assertThat(quota.at("/providers/codebuddy/exhausted").asBoolean())
                    .as(quota.toString())
                    .isFalse();
            // the turn-1 tool_use id (native's) is the id CodeBuddy sees on the tool result
            JsonNode last = inference(openAiSim.received()).get(0).json();
            assertThat(scenario.openAiToolResult(last.path("messages"))).contains(scenario.marker);
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void typescriptSdkStreamAssemblesTheToolCallTheOpenAiUpstreamStreamedInFragments() throws Exception {
        NodeClients clients = NodeClients.get();
        BashToolScenario scenario = new BashToolScenario();
        String arguments = "{\"city\":\"Paris\",\"unit\":\"celsius\",\"days\":3,\"hours\":[6,12,18],"
                + "\"note\":\"météo ☀ \\\"sunny\\\"\"}";
        try (UpstreamSimulator openAiSim = new UpstreamSimulator(r -> UpstreamScript.sse(scenario.openAiToolCallStream(
                        r.json().path("model").asText(),
                        r.json().at("/tools/0/function/name").asText(),
                        arguments)));
                ProxyHarness proxy = ProxyHarness.start("""
                     providers:
                       codebuddy: {base_url: "%s", api_key: k}
                     route: [codebuddy]
                     """.formatted(openAiSim.baseUrl()));
                RecordingFront front = new RecordingFront(proxy.baseUrl())) {
            Path script = clients.script("ts-sdk-stream-tool.mjs");
            ProcessRun node = ProcessRun.run(
                    List.of("node", script.toString()),
                    clients.prefix,
                    Map.of("ANTHROPIC_BASE_URL", front.baseUrl(), "HOME", scratch.toString()),
                    true,
                    ClaudeCodeRun.TIMEOUT);
            ModeReport.write("ts-sdk", front.exchanges(), Map.of("codebuddy", openAiSim.received()), null, List.of());

            assertThat(node.timedOut() || node.exitCode() != 0)
                    .as("node " + node.describe())
                    .isFalse();
            assertThat(front.exchanges())
                    .extracting(RecordingFront.Exchange::status)
                    .containsExactly(200);
            JsonNode out = JSON.readTree(node.stdout());
            JsonNode message = out.path("message");
            assertThat(message.path("stop_reason").asText()).isEqualTo("tool_use");
            List<JsonNode> toolUses = message.path("content").findParents("input");
            assertThat(toolUses).singleElement().satisfies(t -> {
                assertThat(t.path("type").asText()).isEqualTo("tool_use");
                assertThat(t.path("name").asText()).isEqualTo("get_weather");
                assertThat(t.path("id").asText()).isNotEmpty();
                assertThat(t.path("input")).isEqualTo(JSON.readTree(arguments));
            });
            assertThat(message.at("/usage/output_tokens").asInt()).isEqualTo(41);
            // the translator buffers a call's arguments and sends them as one input_json_delta (StreamTranslator)
            StringBuilder partials = new StringBuilder();
            out.path("inputJson").forEach(p -> partials.append(p.asText()));
            assertThat(JSON.readTree(partials.toString()))
                    .as("input_json_delta fragments")
                    .isEqualTo(JSON.readTree(arguments));
            List<String> events = new ArrayList<>();
            out.path("events").forEach(e -> events.add(e.asText()));
            assertThat(events.get(0)).isEqualTo("message_start");
            assertThat(events.get(events.size() - 1)).isEqualTo("message_stop");
            assertThat(events)
                    .contains("content_block_start", "content_block_delta", "content_block_stop", "message_delta");
            assertThat(openAiSim
                            .last()
                            .json()
                            .at("/tools/0/function/parameters/required/0")
                            .asText())
                    .isEqualTo("city");
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void report(
            String mode,
            RecordingFront front,
            Map<String, List<RecordedRequest>> upstreams,
            ClaudeCodeRun run,
            BashToolScenario scenario) {
        ModeReport.write(mode, front.exchanges(), new LinkedHashMap<>(upstreams), run, scenario.steps);
    }

    private static void assertFinishedWithMarker(ClaudeCodeRun run, RecordingFront front, BashToolScenario scenario) {
        assertThat(run.process.timedOut()).as(run.describe()).isFalse();
        assertThat(front.exchanges())
                .as("requests Claude Code made that the proxy refused: %s", ModeReport.summary(front.exchanges()))
                .allSatisfy(e -> assertThat(e.status())
                        .as("%s %s → %s", e.method(), e.path(), new String(e.responseHead(), StandardCharsets.UTF_8))
                        .isLessThan(400));
        assertThat(run.process.stdout()).as(run.describe()).doesNotContain("API Error");
        assertThat(run.lines)
                .as("retries reported by Claude Code")
                .noneMatch(l -> l.path("subtype").asText().contains("retry"));
        assertThat(run.lines)
                .filteredOn(l -> "init".equals(l.path("subtype").asText()))
                .extracting(l -> l.path("claude_code_version").asText())
                .containsExactly(NodeClients.CLAUDE_CODE_VERSION);
        // Claude Code ran the tool the upstream asked for and returned its output
        assertThat(run.lines)
                .filteredOn(l -> "user".equals(l.path("type").asText()))
                .flatExtracting(l -> l.path("message").path("content").findParents("tool_use_id"))
                .anySatisfy(r -> {
                    assertThat(r.path("tool_use_id").asText())
                            .endsWith(scenario.toolUseId.substring("toolu_e2e".length()));
                    assertThat(r.path("is_error").asBoolean()).isFalse();
                    assertThat(r.path("content").toString()).contains(scenario.marker);
                });
        JsonNode result = run.result();
        assertThat(result)
                .as("no stream-json line of type result; " + run.describe())
                .isNotNull();
        assertThat(result.path("is_error").asBoolean()).as(result.toString()).isFalse();
        assertThat(result.path("subtype").asText()).as(result.toString()).isEqualTo("success");
        assertThat(result.path("result").asText()).as(result.toString()).contains(scenario.marker);
        assertThat(run.process.exitCode()).as(run.describe()).isZero();
    }

    /** Upstream requests that carry the conversation (Claude Code's own tools), not side requests. */
    private static List<RecordedRequest> inference(List<RecordedRequest> received) {
        return received.stream()
                .filter(r -> r.body().length > 0 && r.json().path("tools").size() > 0)
                .toList();
    }

    private static List<RecordingFront.Exchange> inferenceExchanges(RecordingFront front) {
        return front.exchanges().stream()
                .filter(e -> e.path().equals("/v1/messages"))
                .toList();
    }

    private static JsonNode readTree(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> systemEntries(JsonNode body) {
        List<String> out = new ArrayList<>();
        for (JsonNode m : body.path("messages")) {
            if ("system".equals(m.path("role").asText())) {
                out.add(ModeReport.text(m.path("content")));
            }
        }
        return out;
    }
}
