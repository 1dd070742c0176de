package org.anthropicproxy.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.InternalServerException;
import com.anthropic.errors.RateLimitException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.MessageTokensCount;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.models.ModelInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RecordedRequest;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The official Anthropic Java SDK through the running proxy, against an Anthropic-format simulator. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PassthroughSdkIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static UpstreamSimulator upstream;
    private static ProxyHarness proxy;
    private static AnthropicClient sdk;

    @BeforeAll
    static void start() {
        upstream = new UpstreamSimulator(r -> UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")));
        proxy = ProxyHarness.start("""
                providers:
                  sim:
                    kind: anthropic
                    base_url: %s
                    api_key: upstream-secret-key
                    headers: {X-Team: infra}
                    models:
                      opus: up-opus
                      "claude-*-sonnet-*": up-sonnet
                route: [sim]
                """.formatted(upstream.baseUrl()));
        sdk = AnthropicOkHttpClient.builder()
                .baseUrl(proxy.baseUrl())
                .apiKey("client-key-not-for-upstream")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(20))
                .build();
    }

    @AfterAll
    static void stop() {
        sdk.close();
        proxy.close();
        upstream.close();
    }

    @BeforeEach
    void clear() {
        upstream.reset();
    }

    private static MessageCreateParams params(String model) {
        return MessageCreateParams.builder()
                .model(model)
                .maxTokens(1024)
                .addUserMessage("Hello")
                .build();
    }

    @Test
    void nonStreamMessageArrivesAsTheUpstreamSentIt() throws Exception {
        Message m = sdk.messages().create(params("claude-sonnet-4-5-20250929"));
        JsonNode expected = MAPPER.readTree(Fixtures.text("anthropic/message-text.json"));
        assertThat(m.id()).isEqualTo(expected.get("id").asText());
        assertThat(m.content()).hasSize(1);
        assertThat(m.content().get(0).asText().text())
                .isEqualTo(expected.at("/content/0/text").asText());
        assertThat(m.stopReason()).contains(StopReason.END_TURN);
        assertThat(m.usage().outputTokens()).isEqualTo(29);
    }

    @Test
    void modelIsMappedAndOnlyTheModelChanges() throws Exception {
        sdk.messages().create(params("claude-3-5-sonnet-20241022"));
        RecordedRequest r = upstream.last();
        JsonNode body = r.json();
        assertThat(body.get("model").asText()).isEqualTo("up-sonnet");
        assertThat(body.get("max_tokens").asInt()).isEqualTo(1024);
        assertThat(body.at("/messages/0/content").toString()).contains("Hello");
        assertThat(r.path()).isEqualTo("/v1/messages");
    }

    @Test
    void aBodyOfMegabytesIsSplicedAndSentWhole() throws Exception {
        // over ProxyHandler's I/O-thread limit the body is checked and sent from a virtual thread; nothing else differs
        String text = "z".repeat(1_200_000);
        Message m = sdk.messages()
                .create(MessageCreateParams.builder()
                        .model("claude-3-5-sonnet-20241022")
                        .maxTokens(1024)
                        .addUserMessage(text)
                        .build());
        assertThat(m.content()).isNotEmpty();
        JsonNode body = upstream.last().json();
        assertThat(body.get("model").asText()).isEqualTo("up-sonnet");
        assertThat(body.at("/messages/0/content").asText()).isEqualTo(text);
    }

    @Test
    void headersReachTheUpstreamAsSpecified() {
        sdk.messages()
                .create(params("claude-opus-4-1").toBuilder()
                        .putAdditionalHeader(
                                "anthropic-beta", "interleaved-thinking-2025-05-14,context-management-2025-06-27")
                        .build());
        RecordedRequest r = upstream.last();
        assertThat(r.header("anthropic-beta"))
                .isEqualTo("interleaved-thinking-2025-05-14,context-management-2025-06-27");
        assertThat(r.header("anthropic-version")).isNotBlank();
        assertThat(r.header("x-api-key")).isEqualTo("upstream-secret-key");
        assertThat(r.header("authorization")).isNull();
        assertThat(r.header("x-team")).isEqualTo("infra");
        assertThat(r.json().get("model").asText()).isEqualTo("up-opus");
    }

    @Test
    void streamAccumulatesToTheMessageTheUpstreamStreamed() {
        upstream.enqueue(UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse")));
        MessageAccumulator acc = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> s = sdk.messages().createStreaming(params("claude-sonnet-4-5"))) {
            s.stream().forEach(acc::accumulate);
        }
        Message m = acc.message();
        assertThat(m.id()).isEqualTo("msg_01QC4g3HwBThD4BaNtBckFDJ");
        assertThat(m.content().get(0).asText().text())
                .isEqualTo(
                        "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?");
        assertThat(m.stopReason()).contains(StopReason.END_TURN);
        assertThat(upstream.last().json().get("stream").asBoolean()).isTrue();
    }

    @Test
    void toolUseStreamsThrough() {
        upstream.enqueue(UpstreamScript.sse(Fixtures.text("anthropic/stream-text-then-tool-use-sdk.sse")));
        MessageAccumulator acc = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> s = sdk.messages().createStreaming(params("claude-sonnet-4-5"))) {
            s.stream().forEach(acc::accumulate);
        }
        Message m = acc.message();
        List<ContentBlock> blocks = m.content();
        assertThat(blocks).anySatisfy(b -> assertThat(b.isToolUse()).isTrue());
        ContentBlock tool =
                blocks.stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow();
        assertThat(tool.asToolUse().name()).isNotBlank();
        assertThat(tool.asToolUse()._input().toString()).isNotEqualTo("{}");
        assertThat(m.stopReason()).contains(StopReason.TOOL_USE);
    }

    @Test
    void thinkingAndSignatureArriveByteForByte() {
        String fixture = Fixtures.text("anthropic/stream-thinking-signature.sse");
        upstream.enqueue(UpstreamScript.sse(fixture));
        HttpResponse<String> r = proxy.post(
                "/v1/messages?beta=true",
                "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":2048,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "content-type",
                "application/json",
                "anthropic-version",
                "2023-06-01");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        assertThat(r.body()).isEqualTo(fixture.replace("\r\n", "\n"));
        assertThat(upstream.last().query()).isEqualTo("beta=true");
        assertThat(upstream.last().header("anthropic-version")).isEqualTo("2023-06-01");
    }

    @Test
    void countTokensPassesThrough() {
        upstream.enqueue(UpstreamScript.json(200, "{\"input_tokens\":14}"));
        MessageTokensCount c = sdk.messages()
                .countTokens(MessageCountTokensParams.builder()
                        .model("claude-opus-4-1")
                        .addUserMessage("Hello")
                        .build());
        assertThat(c.inputTokens()).isEqualTo(14);
        assertThat(upstream.last().path()).isEqualTo("/v1/messages/count_tokens");
        assertThat(upstream.last().json().get("model").asText()).isEqualTo("up-opus");
    }

    @Test
    void modelsListShowsAliasesAndMappedNames() {
        List<String> ids =
                sdk.models().list().data().stream().map(ModelInfo::id).toList();
        assertThat(ids).contains("opus", "up-opus", "up-sonnet");
    }

    @Test
    void upstreamErrorsAreForwardedUnchanged() {
        String body429 = "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}";
        upstream.enqueue(UpstreamScript.json(429, body429, Map.of("retry-after", "7")));
        assertThatThrownBy(() -> sdk.messages().create(params("claude-sonnet-4-5")))
                .isInstanceOf(RateLimitException.class)
                .hasMessageContaining("slow down");

        String body529 = Fixtures.text("anthropic/error-529-overloaded.json");
        upstream.enqueue(UpstreamScript.json(529, body529));
        HttpResponse<String> raw = proxy.post(
                "/v1/messages",
                "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}",
                "content-type",
                "application/json");
        assertThat(raw.statusCode()).isEqualTo(529);
        assertThat(raw.body()).isEqualTo(body529);

        upstream.enqueue(UpstreamScript.json(
                500, "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"boom\"}}"));
        assertThatThrownBy(() -> sdk.messages().create(params("claude-sonnet-4-5")))
                .isInstanceOf(InternalServerException.class)
                .hasMessageContaining("boom");
    }

    @Test
    void aSuccessEnvelopeIsUnwrappedAndAPlainMessageIsNot() throws Exception {
        String message = Fixtures.text("anthropic/message-text.json");
        upstream.enqueue(UpstreamScript.json(200, "{\"type\":\"success\",\"data\":" + message + "}"));
        Message m = sdk.messages().create(params("claude-sonnet-4-5"));
        assertThat(m.id()).isEqualTo(MAPPER.readTree(message).get("id").asText());
        assertThat(m.usage().outputTokens()).isEqualTo(29);

        // a message that merely contains "success" somewhere is passed on byte for byte
        String plain = "{\"id\":\"msg_x\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\","
                + "\"content\":[{\"type\":\"success\",\"data\":{}}],\"stop_reason\":\"end_turn\","
                + "\"usage\":{\"input_tokens\":3,\"output_tokens\":4}}";
        upstream.enqueue(UpstreamScript.json(200, plain));
        HttpResponse<String> raw = proxy.post(
                "/v1/messages",
                "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}",
                "content-type",
                "application/json");
        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(raw.body()).isEqualTo(plain);
    }

    @Test
    void aNonStreamBodyCutAfterItsHeadersIsA502NamingTheRead() throws Exception {
        byte[] half =
                Fixtures.text("anthropic/message-text.json").substring(0, 40).getBytes(StandardCharsets.UTF_8);
        upstream.enqueue(new UpstreamScript(
                200, Map.of("content-type", "application/json"), List.of(half), Duration.ZERO, true, Duration.ZERO));
        HttpResponse<String> raw = proxy.post(
                "/v1/messages",
                "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}",
                "content-type",
                "application/json");
        assertThat(raw.statusCode()).isEqualTo(502);
        JsonNode err = MAPPER.readTree(raw.body());
        assertThat(err.at("/error/type").asText()).isEqualTo("api_error");
        assertThat(err.at("/error/message").asText()).contains("while reading the response");
    }

    @Test
    void upstreamDyingMidStreamGivesTheSdkAnErrorNotAHang() {
        upstream.enqueue(
                UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse")).dropAfter(4));
        MessageAccumulator acc = MessageAccumulator.create();
        assertThatThrownBy(() -> {
                    try (StreamResponse<RawMessageStreamEvent> s =
                            sdk.messages().createStreaming(params("claude-sonnet-4-5"))) {
                        s.stream().forEach(acc::accumulate);
                    }
                })
                .isInstanceOf(AnthropicServiceException.class);
    }

    @Test
    void upstreamUnreachableIsA502ApiError() throws Exception {
        try (ProxyHarness dead = ProxyHarness.start("""
                providers:
                  gone: {kind: anthropic, base_url: "http://127.0.0.1:1", api_key: k}
                route: [gone]
                """)) {
            HttpResponse<String> r = dead.post("/v1/messages", "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}");
            assertThat(r.statusCode()).isEqualTo(502);
            JsonNode err = MAPPER.readTree(r.body());
            assertThat(err.at("/type").asText()).isEqualTo("error");
            assertThat(err.at("/error/type").asText()).isEqualTo("api_error");
        }
    }
}
