package org.anthropicproxy.provider.openai;

import static org.anthropicproxy.testkit.OpenAiUpstreamScripts.toolCall;
import static org.anthropicproxy.testkit.OpenAiUpstreamScripts.usage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.ObjectMappers;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.InternalServerException;
import com.anthropic.errors.RateLimitException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Base64ImageSource;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.ImageBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.TextBlockParam;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolChoiceAuto;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.UrlImageSource;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.AnthropicEventRecorder;
import org.anthropicproxy.testkit.AnthropicStreamGrammar;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.OpenAiUpstreamScripts;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RecordedRequest;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The official Anthropic Java SDK through the running proxy against OpenAI-format simulators: a generic
 * {@code kind: openai} provider (dialect defaults) and the {@code codebuddy} preset (forced streaming: non-stream
 * clients are served by aggregating the upstream stream). Every case checks both what the client got and what the
 * upstream received.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OpenAiSdkIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String MODEL = "claude-sonnet-4-5";
    private static final String GENERIC_UPSTREAM_MODEL = "gpt-sim";
    private static final String BUDDY_UPSTREAM_MODEL = "claude-4.5";
    private static final String PNG_1PX =
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

    private static UpstreamSimulator genericUp;
    private static UpstreamSimulator buddyUp;
    private static ProxyHarness generic;
    private static ProxyHarness buddy;
    private static AnthropicClient genericSdk;
    private static AnthropicClient buddySdk;

    @BeforeAll
    static void start() {
        genericUp = new UpstreamSimulator(r -> defaultAnswer(r, GENERIC_UPSTREAM_MODEL));
        buddyUp = new UpstreamSimulator(r -> defaultAnswer(r, BUDDY_UPSTREAM_MODEL));
        generic = ProxyHarness.start("""
                providers:
                  oai:
                    kind: openai
                    base_url: %s/v1
                    api_key: sk-generic
                    models:
                      "claude-*": %s
                route: [oai]
                """.formatted(genericUp.baseUrl(), GENERIC_UPSTREAM_MODEL));
        buddy = ProxyHarness.start("""
                providers:
                  codebuddy:
                    base_url: %s/v2
                    api_key: k
                route: [codebuddy]
                """.formatted(buddyUp.baseUrl()));
        genericSdk = client(generic);
        buddySdk = client(buddy);
    }

    private static AnthropicClient client(ProxyHarness proxy) {
        return AnthropicOkHttpClient.builder()
                .baseUrl(proxy.baseUrl())
                .apiKey("client-key-not-for-upstream")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(20))
                .build();
    }

    @AfterAll
    static void stop() {
        genericSdk.close();
        buddySdk.close();
        generic.close();
        buddy.close();
        genericUp.close();
        buddyUp.close();
    }

    @BeforeEach
    void clear() {
        genericUp.reset();
        buddyUp.reset();
    }

    /** A short text answer, streamed or whole as the request asked. */
    private static UpstreamScript defaultAnswer(RecordedRequest r, String model) {
        if (r.json().path("stream").asBoolean(false)) {
            return OpenAiUpstreamScripts.stream(model)
                    .text("Hi")
                    .text(" there.")
                    .finish("stop")
                    .usage(usage(10, 3, 0))
                    .done()
                    .script();
        }
        return OpenAiUpstreamScripts.completionScript(model, "Hi there.", null, "stop", usage(10, 3, 0));
    }

    // ------------------------------------------------------------------ helpers

    private static MessageCreateParams.Builder params() {
        return MessageCreateParams.builder().model(MODEL).maxTokens(1024);
    }

    private static Message streamed(AnthropicClient sdk, MessageCreateParams p) {
        MessageAccumulator acc = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> s = sdk.messages().createStreaming(p)) {
            s.stream().forEach(acc::accumulate);
        }
        return acc.message();
    }

    /** The SDK's view of a value as plain JSON. */
    private static JsonNode tree(Object sdkValue) {
        return ObjectMappers.jsonMapper().valueToTree(sdkValue);
    }

    private static JsonNode input(ContentBlock b) {
        return tree(b.asToolUse()._input());
    }

    private static List<String> types(Message m) {
        return m.content().stream().map(b -> tree(b).path("type").asText()).toList();
    }

    /** Content, stop reason and the four usage figures: what must agree between stream and non-stream. */
    private static JsonNode essence(Message m) {
        ObjectNode n = MAPPER.createObjectNode();
        n.set("content", tree(m.content()));
        n.put("stop_reason", m.stopReason().map(StopReason::asString).orElse(null));
        n.put("input_tokens", m.usage().inputTokens());
        n.put("output_tokens", m.usage().outputTokens());
        n.put("cache_read_input_tokens", m.usage().cacheReadInputTokens().orElse(-1L));
        n.put(
                "cache_creation_input_tokens",
                m.usage().cacheCreationInputTokens().orElse(-1L));
        return n;
    }

    /** Raw streamed call through java.net.http; the events are checked against the Anthropic stream grammar. */
    private static List<AnthropicEventRecorder.Event> rawStream(ProxyHarness proxy, String body) {
        HttpResponse<String> r = proxy.post(
                "/v1/messages?beta=true", body, "content-type", "application/json", "anthropic-version", "2023-06-01");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        List<AnthropicEventRecorder.Event> events = AnthropicEventRecorder.parseSse(r.body());
        AnthropicStreamGrammar.strict().assertValid(events);
        return events;
    }

    /** The message the raw events describe (the proxy's accumulator mirrors the SDKs'). */
    private static JsonNode accumulate(List<AnthropicEventRecorder.Event> events) {
        AnthropicMessageAccumulator acc = new AnthropicMessageAccumulator();
        events.forEach(e -> acc.event(e.type(), e.json()));
        return acc.message();
    }

    private static JsonNode json(String s) {
        try {
            return MAPPER.readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    private static List<String> roles(JsonNode openAiBody) {
        List<String> out = new ArrayList<>();
        openAiBody.path("messages").forEach(m -> out.add(m.path("role").asText()));
        return out;
    }

    private static Tool weatherTool() {
        return Tool.builder()
                .name("get_weather")
                .description("Current weather for a city")
                .inputSchema(Tool.InputSchema.builder()
                        .properties(
                                JsonValue.from(Map.of("city", Map.of("type", "string", "description", "City name"))))
                        .required(List.of("city"))
                        .build())
                .build();
    }

    private static String weatherRequestJson(boolean stream) {
        return """
                {"model":"%s","max_tokens":1024,"stream":%s,
                 "tools":[{"name":"get_weather","description":"Current weather for a city",
                           "input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],
                 "messages":[{"role":"user","content":"Weather in Paris?"}]}
                """.formatted(MODEL, stream);
    }

    // ------------------------------------------------------------------ text

    @Test
    void nonStreamTextIsTranslatedBothWays() {
        genericUp.enqueue(UpstreamScript.json(200, Fixtures.text("openai/chat-completion-text.json")));
        Message m = genericSdk
                .messages()
                .create(params().addUserMessage("Invent a holiday")
                        .addStopSequence("THE END")
                        .putAdditionalBodyProperty("temperature", JsonValue.from(0.5))
                        .build());

        JsonNode fixture = Fixtures.json("openai/chat-completion-text.json");
        assertThat(m.model().asString()).isEqualTo(MODEL);
        assertThat(m.content()).hasSize(1);
        assertThat(m.content().get(0).asText().text())
                .isEqualTo(fixture.at("/choices/0/message/content").asText());
        assertThat(m.stopReason()).contains(StopReason.END_TURN);
        assertThat(m.usage().inputTokens()).isEqualTo(16);
        assertThat(m.usage().outputTokens()).isEqualTo(363);

        RecordedRequest r = genericUp.last();
        assertThat(r.path()).isEqualTo("/v1/chat/completions");
        assertThat(r.header("authorization")).isEqualTo("Bearer sk-generic");
        assertThat(r.header("x-api-key")).isNull();
        JsonNode body = r.json();
        assertThat(body.path("model").asText()).isEqualTo(GENERIC_UPSTREAM_MODEL);
        assertThat(body.path("stream").asBoolean(true)).isFalse();
        assertThat(body.has("stream_options")).isFalse();
        assertThat(body.path("max_tokens").asInt()).isEqualTo(1024);
        assertThat(body.path("temperature").asDouble()).isEqualTo(0.5);
        assertThat(body.path("stop")).isEqualTo(json("[\"THE END\"]"));
        assertThat(body.path("messages")).isEqualTo(json("[{\"role\":\"user\",\"content\":\"Invent a holiday\"}]"));
    }

    @Test
    void streamAndNonStreamGiveTheSameMessageOnTheGenericUpstream() {
        genericUp.enqueue(OpenAiUpstreamScripts.stream(GENERIC_UPSTREAM_MODEL)
                .text("Hello")
                .text(" there!")
                .text(" How can I help?")
                .finish("stop")
                .usage(usage(25, 9, 5))
                .done()
                .script());
        genericUp.enqueue(OpenAiUpstreamScripts.completionScript(
                GENERIC_UPSTREAM_MODEL, "Hello there! How can I help?", null, "stop", usage(25, 9, 5)));
        MessageCreateParams p = params().addUserMessage("Hi").build();

        Message s = streamed(genericSdk, p);
        Message n = genericSdk.messages().create(p);

        assertThat(essence(s)).isEqualTo(essence(n));
        assertThat(s.content().get(0).asText().text()).isEqualTo("Hello there! How can I help?");
        assertThat(s.stopReason()).contains(StopReason.END_TURN);
        assertThat(s.usage().inputTokens()).isEqualTo(20);
        assertThat(s.usage().cacheReadInputTokens()).contains(5L);
        List<RecordedRequest> got = genericUp.received();
        assertThat(got).hasSize(2);
        assertThat(got.get(0).json().path("stream").asBoolean()).isTrue();
        assertThat(got.get(0).json().at("/stream_options/include_usage").asBoolean())
                .isTrue();
        assertThat(got.get(0).header("accept")).isEqualTo("text/event-stream");
        assertThat(got.get(1).json().path("stream").asBoolean(true)).isFalse();
    }

    @Test
    void translatedStreamsLeaveTheUpstreamConnectionReusable() {
        // a stream ends at [DONE]; the body's end right behind it is read, so the connection is not thrown away
        genericUp.reset();
        for (int i = 0; i < 10; i++) {
            genericUp.enqueue(OpenAiUpstreamScripts.stream(GENERIC_UPSTREAM_MODEL)
                    .text("Hello")
                    .finish("stop")
                    .usage(usage(25, 9, 5))
                    .done()
                    .script());
        }
        for (int i = 0; i < 10; i++) {
            assertThat(streamed(genericSdk, params().addUserMessage("Hi").build())
                            .content()
                            .get(0)
                            .asText()
                            .text())
                    .isEqualTo("Hello");
        }
        assertThat(genericUp.received()).hasSize(10);
        // one connection when each is back in the pool before the next request, a few if the next one came sooner
        assertThat(genericUp.connectionsSeen()).isLessThanOrEqualTo(3);
    }

    @Test
    void aToolListSentAgainIsReusedAndSentAsTheFirstTime() {
        // Claude Code sends the same tool list every turn; the proxy maps it once, and nothing may show it
        String first = Fixtures.text(RequestMapperTest.CC);
        String longName = "mcp__github__list_pull_requests_for_repository_with_extremely_long_name_x";
        String shortName = new ToolNameMap(OpenAiDialect.defaults().maxToolNameLength()).toUpstream(longName);
        String changed = first.replace("Read the contents of a file at the given path.", "Reads a file.");
        assertThat(changed).isNotEqualTo(first);
        List<List<AnthropicEventRecorder.Event>> answers = new ArrayList<>();
        for (String body : List.of(first, first, changed)) {
            genericUp.enqueue(OpenAiUpstreamScripts.stream(GENERIC_UPSTREAM_MODEL)
                    .toolCalls(toolCall(0, "call_1", shortName, "{\"owner\":\"o\"}"))
                    .finish("tool_calls")
                    .usage(usage(40, 5, 0))
                    .done()
                    .script());
            answers.add(rawStream(generic, body));
        }
        List<RecordedRequest> sent = genericUp.received();
        assertThat(sent).hasSize(3);
        assertThat(sent.get(1).bodyText()).isEqualTo(sent.get(0).bodyText());
        assertThat(sent.get(0).json().path("tools")).hasSize(3);
        assertThat(sent.get(0)
                        .json()
                        .path("tools")
                        .get(0)
                        .path("function")
                        .path("description")
                        .asText())
                .isEqualTo("Read the contents of a file at the given path.");
        assertThat(sent.get(2)
                        .json()
                        .path("tools")
                        .get(0)
                        .path("function")
                        .path("description")
                        .asText())
                .isEqualTo("Reads a file.");
        ObjectNode withoutTools = (ObjectNode) sent.get(2).json().deepCopy();
        withoutTools.set("tools", sent.get(0).json().path("tools"));
        assertThat(withoutTools).isEqualTo(sent.get(0).json());
        for (List<AnthropicEventRecorder.Event> events : answers) {
            JsonNode message = accumulate(events);
            assertThat(message.path("content").get(0).path("name").asText()).isEqualTo(longName);
        }
        // message_start's input estimate counts the tool list whether it was mapped or reused
        long start0 = json(answers.get(0).get(0).json())
                .path("message")
                .path("usage")
                .path("input_tokens")
                .asLong();
        assertThat(start0).isPositive();
        assertThat(json(answers.get(1).get(0).json())
                        .path("message")
                        .path("usage")
                        .path("input_tokens")
                        .asLong())
                .isEqualTo(start0);
    }

    @Test
    void aLargeBodyIsMappedOffTheIoThreadAndTranslatedAlike() {
        // over OpenAiProvider.MAX_BODY_MAPPED_ON_IO_THREAD the mapping runs on a virtual thread; nothing else differs
        String small = "x".repeat(1000);
        String large = "y".repeat(OpenAiProvider.MAX_BODY_MAPPED_ON_IO_THREAD + 1000);
        for (String text : List.of(small, large)) {
            genericUp.enqueue(OpenAiUpstreamScripts.stream(GENERIC_UPSTREAM_MODEL)
                    .text("ok")
                    .finish("stop")
                    .usage(usage(9, 1, 0))
                    .done()
                    .script());
            Message m = streamed(genericSdk, params().addUserMessage(text).build());
            assertThat(m.content().get(0).asText().text()).isEqualTo("ok");
            assertThat(genericUp
                            .last()
                            .json()
                            .path("messages")
                            .get(0)
                            .path("content")
                            .asText())
                    .isEqualTo(text);
        }
    }

    @Test
    void streamAndNonStreamGiveTheSameMessageOnCodeBuddy() {
        String sse = OpenAiUpstreamScripts.stream(BUDDY_UPSTREAM_MODEL)
                .text("Hello")
                .text(" there!")
                .finish("stop")
                .usage(usage(30, 4, 10))
                .done()
                .sse();
        buddyUp.enqueue(UpstreamScript.sse(sse));
        buddyUp.enqueue(UpstreamScript.sse(sse));
        MessageCreateParams p = params().addUserMessage("Hi").build();

        Message s = streamed(buddySdk, p);
        Message n = buddySdk.messages().create(p);

        assertThat(essence(s)).isEqualTo(essence(n));
        assertThat(n.content().get(0).asText().text()).isEqualTo("Hello there!");
        assertThat(n.usage().inputTokens()).isEqualTo(20);
        assertThat(n.usage().cacheReadInputTokens()).contains(10L);
        for (RecordedRequest r : buddyUp.received()) {
            assertThat(r.path()).isEqualTo("/v2/chat/completions");
            assertThat(r.header("authorization")).isEqualTo("Bearer k");
            assertThat(r.json().path("stream").asBoolean()).isTrue();
            assertThat(r.json().path("model").asText()).isEqualTo(BUDDY_UPSTREAM_MODEL);
        }
    }

    @Test
    void nonStreamClientOnCodeBuddyIsServedFromAForcedStream() {
        buddyUp.enqueue(OpenAiUpstreamScripts.stream(BUDDY_UPSTREAM_MODEL)
                .text("Aggregated")
                .text(" answer.")
                .finish("stop")
                .usage(usage(12, 3, 0))
                .done()
                .script());
        Message m = buddySdk.messages().create(params().addUserMessage("Hi").build());

        assertThat(m.content()).hasSize(1);
        assertThat(m.content().get(0).asText().text()).isEqualTo("Aggregated answer.");
        assertThat(m.stopReason()).contains(StopReason.END_TURN);
        assertThat(m.usage().inputTokens()).isEqualTo(12);
        assertThat(m.usage().outputTokens()).isEqualTo(3);
        JsonNode body = buddyUp.last().json();
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(body.at("/stream_options/include_usage").asBoolean()).isTrue();
        assertThat(buddyUp.last().header("accept")).isEqualTo("text/event-stream");
    }

    // ------------------------------------------------------------------ system, images

    @Test
    void systemBlocksBecomeOneLeadingSystemMessage() {
        genericSdk
                .messages()
                .create(params().systemOfTextBlockParams(List.of(
                                TextBlockParam.builder().text("You are terse.").build(),
                                TextBlockParam.builder()
                                        .text("Answer in French.")
                                        .build()))
                        .addUserMessage("Hi")
                        .build());
        JsonNode msgs = genericUp.last().json().path("messages");
        assertThat(msgs).hasSize(2);
        assertThat(msgs.get(0))
                .isEqualTo(json("{\"role\":\"system\",\"content\":\"You are terse.\\n\\nAnswer in French.\"}"));
        assertThat(msgs.get(1).path("role").asText()).isEqualTo("user");
    }

    @Test
    void codeBuddyAlwaysGetsASystemMessageFirst() {
        Message m = buddySdk.messages()
                .create(params().systemOfTextBlockParams(List.of(
                                TextBlockParam.builder().text("Be brief.").build(),
                                TextBlockParam.builder()
                                        .text("Use metric units.")
                                        .build()))
                        .addUserMessage("Hi")
                        .build());
        assertThat(m.content().get(0).asText().text()).isEqualTo("Hi there.");
        JsonNode msgs = buddyUp.last().json().path("messages");
        assertThat(roles(buddyUp.last().json())).containsExactly("system", "user");
        assertThat(msgs.get(0).path("content").asText()).isEqualTo("Be brief.\n\nUse metric units.");

        buddySdk.messages()
                .create(params().addUserMessage("No system prompt here").build());
        JsonNode body = buddyUp.last().json();
        assertThat(roles(body)).containsExactly("system", "user");
        assertThat(body.at("/messages/0/content").asText()).isNotBlank();
        assertThat(body.at("/messages/1/content").asText()).isEqualTo("No system prompt here");
    }

    @Test
    void imagesGoUpstreamAsDataUrlAndUrl() {
        genericSdk
                .messages()
                .create(params().addUserMessageOfContentBlockParams(List.of(
                                ContentBlockParam.ofText(TextBlockParam.builder()
                                        .text("Compare these")
                                        .build()),
                                ContentBlockParam.ofImage(ImageBlockParam.builder()
                                        .source(Base64ImageSource.builder()
                                                .mediaType(Base64ImageSource.MediaType.IMAGE_PNG)
                                                .data(PNG_1PX)
                                                .build())
                                        .build()),
                                ContentBlockParam.ofImage(ImageBlockParam.builder()
                                        .source(UrlImageSource.builder()
                                                .url("https://example.com/cat.jpg")
                                                .build())
                                        .build())))
                        .build());
        JsonNode content = genericUp.last().json().at("/messages/0/content");
        assertThat(content).hasSize(3);
        assertThat(content.get(0)).isEqualTo(json("{\"type\":\"text\",\"text\":\"Compare these\"}"));
        assertThat(content.get(1).path("type").asText()).isEqualTo("image_url");
        assertThat(content.get(1).at("/image_url/url").asText()).isEqualTo("data:image/png;base64," + PNG_1PX);
        assertThat(content.get(2).at("/image_url/url").asText()).isEqualTo("https://example.com/cat.jpg");
    }

    // ------------------------------------------------------------------ tools

    @Test
    void toolRoundTripOnTheGenericUpstream() {
        toolRoundTrip(genericSdk, genericUp, GENERIC_UPSTREAM_MODEL, true, false);
    }

    @Test
    void toolRoundTripOnCodeBuddyWithANonStreamClient() {
        toolRoundTrip(buddySdk, buddyUp, BUDDY_UPSTREAM_MODEL, false, true);
    }

    private static void toolRoundTrip(
            AnthropicClient sdk,
            UpstreamSimulator up,
            String upstreamModel,
            boolean streamClient,
            boolean forcedStream) {
        up.enqueue(OpenAiUpstreamScripts.stream(upstreamModel)
                .text("Let me check.")
                .toolCalls(toolCall(0, "call_w1", "get_weather", ""))
                .toolCalls(toolCall(0, null, null, "{\"ci"))
                .toolCalls(toolCall(0, null, null, "ty\": \"Par"))
                .toolCalls(toolCall(0, null, null, "is\"}"))
                .finish("tool_calls")
                .usage(usage(80, 20, 0))
                .done()
                .script());
        MessageCreateParams first = params().addTool(weatherTool())
                .toolChoice(ToolChoiceAuto.builder().build())
                .addUserMessage("Weather in Paris?")
                .build();
        Message m = streamClient ? streamed(sdk, first) : sdk.messages().create(first);

        assertThat(types(m)).containsExactly("text", "tool_use");
        assertThat(m.content().get(0).asText().text()).isEqualTo("Let me check.");
        assertThat(m.content().get(1).asToolUse().id()).isEqualTo("call_w1");
        assertThat(m.content().get(1).asToolUse().name()).isEqualTo("get_weather");
        assertThat(input(m.content().get(1))).isEqualTo(json("{\"city\":\"Paris\"}"));
        assertThat(m.stopReason()).contains(StopReason.TOOL_USE);

        JsonNode req1 = up.last().json();
        JsonNode fn = req1.at("/tools/0");
        assertThat(fn.path("type").asText()).isEqualTo("function");
        assertThat(fn.at("/function/name").asText()).isEqualTo("get_weather");
        assertThat(fn.at("/function/description").asText()).isEqualTo("Current weather for a city");
        assertThat(fn.at("/function/parameters/type").asText()).isEqualTo("object");
        assertThat(fn.at("/function/parameters/properties/city/type").asText()).isEqualTo("string");
        assertThat(fn.at("/function/parameters/required/0").asText()).isEqualTo("city");
        assertThat(req1.path("tool_choice").asText()).isEqualTo("auto");

        // the second leg uses the other client mode
        boolean upstreamStreams = forcedStream || !streamClient;
        up.enqueue(
                upstreamStreams
                        ? OpenAiUpstreamScripts.stream(upstreamModel)
                                .text("It is 18°C and sunny in Paris.")
                                .finish("stop")
                                .usage(usage(120, 12, 80))
                                .done()
                                .script()
                        : OpenAiUpstreamScripts.completionScript(
                                upstreamModel, "It is 18°C and sunny in Paris.", null, "stop", usage(120, 12, 80)));
        MessageCreateParams second = first.toBuilder()
                .addMessage(m)
                .addUserMessageOfContentBlockParams(
                        List.of(ContentBlockParam.ofToolResult(ToolResultBlockParam.builder()
                                .toolUseId(m.content().get(1).asToolUse().id())
                                .content("18°C, sunny")
                                .build())))
                .build();
        Message answer = streamClient ? sdk.messages().create(second) : streamed(sdk, second);
        assertThat(answer.content().get(0).asText().text()).isEqualTo("It is 18°C and sunny in Paris.");
        assertThat(answer.usage().inputTokens()).isEqualTo(40);
        assertThat(answer.usage().cacheReadInputTokens()).contains(80L);

        JsonNode req2 = up.last().json();
        List<String> roles = roles(req2);
        assertThat(roles.subList(roles.size() - 3, roles.size())).containsExactly("user", "assistant", "tool");
        JsonNode msgs = req2.path("messages");
        JsonNode assistant = msgs.get(msgs.size() - 2);
        assertThat(assistant.path("content").asText()).isEqualTo("Let me check.");
        assertThat(assistant.at("/tool_calls/0/id").asText()).isEqualTo("call_w1");
        assertThat(assistant.at("/tool_calls/0/type").asText()).isEqualTo("function");
        assertThat(assistant.at("/tool_calls/0/function/name").asText()).isEqualTo("get_weather");
        assertThat(json(assistant.at("/tool_calls/0/function/arguments").asText()))
                .isEqualTo(json("{\"city\":\"Paris\"}"));
        JsonNode tool = msgs.get(msgs.size() - 1);
        assertThat(tool)
                .isEqualTo(json("{\"role\":\"tool\",\"tool_call_id\":\"call_w1\",\"content\":\"18°C, sunny\"}"));
    }

    @Test
    void toolStreamFollowsTheAnthropicGrammar() {
        genericUp.enqueue(OpenAiUpstreamScripts.stream(GENERIC_UPSTREAM_MODEL)
                .toolCalls(toolCall(0, "call_g1", "get_weather", "{\"city\":"))
                .toolCalls(toolCall(0, null, null, "\"Oslo\"}"))
                .finish("tool_calls")
                .usage(usage(50, 10, 0))
                .done()
                .script());
        List<AnthropicEventRecorder.Event> events = rawStream(generic, weatherRequestJson(true));
        JsonNode m = accumulate(events);
        assertThat(m.at("/content/0/type").asText()).isEqualTo("tool_use");
        assertThat(m.at("/content/0/input")).isEqualTo(json("{\"city\":\"Oslo\"}"));
        assertThat(m.path("stop_reason").asText()).isEqualTo("tool_use");
        assertThat(events.get(events.size() - 1).type()).isEqualTo("message_stop");
        assertThat(genericUp.last().json().at("/tools/0/function/name").asText())
                .isEqualTo("get_weather");
    }

    @Test
    void interleavedParallelToolCallsBecomeConsecutiveBlocks() {
        String fixture = Fixtures.text("synthetic/openai-stream-interleaved-parallel-tools-text-after.sse");
        genericUp.enqueue(UpstreamScript.sse(fixture));
        Message m = streamed(
                genericSdk,
                params().addTool(weatherTool())
                        .addUserMessage("Weather and time in Paris?")
                        .build());
        assertInterleavedParallel(m);

        genericUp.enqueue(UpstreamScript.sse(fixture));
        List<AnthropicEventRecorder.Event> events = rawStream(generic, weatherRequestJson(true));
        List<String> starts = events.stream()
                .filter(e -> e.type().equals("content_block_start"))
                .map(e -> json(e.json()).at("/content_block/type").asText())
                .toList();
        assertThat(starts).containsExactly("text", "tool_use", "tool_use", "text");

        buddyUp.enqueue(UpstreamScript.sse(fixture));
        assertInterleavedParallel(buddySdk.messages()
                .create(params().addTool(weatherTool())
                        .addUserMessage("Weather and time?")
                        .build()));
        assertThat(buddyUp.last().json().path("stream").asBoolean()).isTrue();
    }

    private static void assertInterleavedParallel(Message m) {
        assertThat(types(m)).containsExactly("text", "tool_use", "tool_use", "text");
        assertThat(m.content().get(0).asText().text()).isEqualTo("Checking both.");
        assertThat(m.content().get(1).asToolUse().id()).isEqualTo("call_A1");
        assertThat(m.content().get(1).asToolUse().name()).isEqualTo("get_weather");
        assertThat(input(m.content().get(1))).isEqualTo(json("{\"city\":\"Paris\"}"));
        assertThat(m.content().get(2).asToolUse().id()).isEqualTo("call_B2");
        assertThat(m.content().get(2).asToolUse().name()).isEqualTo("get_time");
        assertThat(input(m.content().get(2))).isEqualTo(json("{\"tz\":\"Europe/Paris\"}"));
        assertThat(m.content().get(3).asText().text()).isEqualTo(" Results incoming.");
        assertThat(m.stopReason()).contains(StopReason.TOOL_USE);
        assertThat(m.usage().inputTokens()).isEqualTo(180);
        assertThat(m.usage().cacheReadInputTokens()).contains(1920L);
        assertThat(m.usage().outputTokens()).isEqualTo(48);
    }

    @Test
    void sequentialParallelToolCallsBecomeTwoToolUseBlocks() {
        String fixture = Fixtures.text("openai/stream-tool-calls-parallel.sse");
        genericUp.enqueue(UpstreamScript.sse(fixture));
        Message s = streamed(
                genericSdk,
                params().addTool(weatherTool())
                        .addUserMessage("Weather and AAPL?")
                        .build());
        assertThat(types(s)).containsExactly("tool_use", "tool_use");
        assertThat(s.content().get(0).asToolUse().id()).isEqualTo("call_JMW1whyEaYG438VE1OIflxA2");
        assertThat(s.content().get(0).asToolUse().name()).isEqualTo("GetWeatherArgs");
        assertThat(input(s.content().get(0)))
                .isEqualTo(json("{\"city\":\"Edinburgh\",\"country\":\"GB\",\"units\":\"c\"}"));
        assertThat(s.content().get(1).asToolUse().name()).isEqualTo("get_stock_price");
        assertThat(input(s.content().get(1))).isEqualTo(json("{\"ticker\":\"AAPL\",\"exchange\":\"NASDAQ\"}"));
        assertThat(s.stopReason()).contains(StopReason.TOOL_USE);
        assertThat(s.usage().inputTokens()).isEqualTo(149);
        assertThat(s.usage().outputTokens()).isEqualTo(60);

        genericUp.enqueue(UpstreamScript.sse(fixture));
        JsonNode raw = accumulate(rawStream(generic, weatherRequestJson(true)));
        assertThat(raw.path("content")).hasSize(2);
        assertThat(raw.at("/content/1/input")).isEqualTo(json("{\"ticker\":\"AAPL\",\"exchange\":\"NASDAQ\"}"));

        buddyUp.enqueue(UpstreamScript.sse(fixture));
        Message n = buddySdk.messages()
                .create(params().addTool(weatherTool())
                        .addUserMessage("Weather and AAPL?")
                        .build());
        assertThat(tree(n.content())).isEqualTo(tree(s.content()));

        // the same two calls in a whole chat.completion (generic upstream, non-stream client)
        genericUp.enqueue(UpstreamScript.json(200, Fixtures.text("openai/chat-completion-parallel-tool-calls.json")));
        Message w = genericSdk
                .messages()
                .create(params().addTool(weatherTool())
                        .addUserMessage("Weather and AAPL?")
                        .build());
        assertThat(types(w)).containsExactly("tool_use", "tool_use");
        assertThat(w.content().get(0).asToolUse().id()).isEqualTo("call_fdNz3vOBKYgOIpMdWotB9MjY");
        assertThat(input(w.content().get(0))).isEqualTo(input(s.content().get(0)));
        assertThat(input(w.content().get(1))).isEqualTo(input(s.content().get(1)));
        assertThat(w.stopReason()).contains(StopReason.TOOL_USE);
        assertThat(w.usage().inputTokens()).isEqualTo(149);
        assertThat(genericUp.last().json().path("stream").asBoolean(true)).isFalse();
    }

    // ------------------------------------------------------------------ thinking

    @Test
    void reasoningContentBecomesAThinkingBlockFirstWithASignatureField() {
        String fixture = Fixtures.text("vendors/deepseek-stream-reasoning-then-tool-call.sse");
        String expectedThinking = reasoningOf(fixture);
        assertThat(expectedThinking).startsWith("The user is asking for the weather in San Francisco.");

        genericUp.enqueue(UpstreamScript.sse(fixture));
        String body = """
                {"model":"%s","max_tokens":16000,"stream":true,"thinking":{"type":"enabled","budget_tokens":10000},
                 "tools":[{"name":"weather","input_schema":{"type":"object","properties":{"location":{"type":"string"}}}}],
                 "messages":[{"role":"user","content":"Weather in San Francisco?"}]}
                """.formatted(MODEL);
        List<AnthropicEventRecorder.Event> events = rawStream(generic, body);
        JsonNode firstStart = events.stream()
                .filter(e -> e.type().equals("content_block_start"))
                .map(e -> json(e.json()))
                .findFirst()
                .orElseThrow();
        assertThat(firstStart.path("index").asInt()).isZero();
        assertThat(firstStart.at("/content_block/type").asText()).isEqualTo("thinking");
        assertThat(firstStart.path("content_block").has("signature")).isTrue();
        JsonNode raw = accumulate(events);
        assertThat(raw.at("/content/0/thinking").asText()).isEqualTo(expectedThinking);
        assertThat(raw.at("/content/1/type").asText()).isEqualTo("tool_use");
        JsonNode req = genericUp.last().json();
        assertThat(req.path("reasoning_effort").asText()).isEqualTo("medium");

        genericUp.enqueue(UpstreamScript.sse(fixture));
        Message m = streamed(
                genericSdk,
                params().maxTokens(16000)
                        .enabledThinking(10000)
                        .addUserMessage("Weather in San Francisco?")
                        .build());
        assertDeepSeekThinking(m, expectedThinking);

        buddyUp.enqueue(UpstreamScript.sse(fixture));
        Message n = buddySdk.messages()
                .create(params().maxTokens(16000)
                        .enabledThinking(10000)
                        .addUserMessage("Weather in SF?")
                        .build());
        assertDeepSeekThinking(n, expectedThinking);
        JsonNode buddyReq = buddyUp.last().json();
        assertThat(buddyReq.path("reasoning_effort").asText()).isEqualTo("medium");
        assertThat(buddyReq.path("reasoning_summary").asText()).isEqualTo("auto");
    }

    private static void assertDeepSeekThinking(Message m, String expectedThinking) {
        assertThat(types(m)).containsExactly("thinking", "tool_use");
        assertThat(m.content().get(0).asThinking().thinking()).isEqualTo(expectedThinking);
        assertThat(m.content().get(0).asThinking().signature()).isNotNull();
        assertThat(tree(m.content().get(0)).has("signature")).isTrue();
        assertThat(m.content().get(1).asToolUse().name()).isEqualTo("weather");
        assertThat(input(m.content().get(1))).isEqualTo(json("{\"location\":\"San Francisco\"}"));
        assertThat(m.stopReason()).contains(StopReason.TOOL_USE);
        assertThat(m.usage().inputTokens()).isEqualTo(19);
        assertThat(m.usage().cacheReadInputTokens()).contains(320L);
        assertThat(m.usage().outputTokens()).isEqualTo(83);
    }

    private static String reasoningOf(String sse) {
        StringBuilder sb = new StringBuilder();
        for (String line : sse.split("\n", -1)) {
            if (line.startsWith("data: {")) {
                JsonNode r = json(line.substring(6)).at("/choices/0/delta/reasoning_content");
                if (r.isTextual()) {
                    sb.append(r.asText());
                }
            }
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ CodeBuddy concatenated arguments

    @Test
    void codeBuddyConcatenatedArgumentsAcrossDeltasKeepTheFirstObject() {
        String sse = OpenAiUpstreamScripts.stream(BUDDY_UPSTREAM_MODEL)
                .toolCalls(toolCall(0, "tooluse_abc", "Read", ""))
                .toolCalls(toolCall(0, null, null, "{\"path\":"))
                .toolCalls(toolCall(0, "tooluse_abc", "", "\"a.txt\"}{\"pa"))
                .toolCalls(toolCall(0, null, null, "th\":\"b.txt\"}"))
                .finish("tool_calls")
                .usage(usage(40, 12, 0))
                .done()
                .sse();
        assertConcatenatedCase(sse, "tooluse_abc");
    }

    @Test
    void codeBuddyConcatenatedArgumentsInsideOneDeltaKeepTheFirstObject() {
        String sse = OpenAiUpstreamScripts.stream(BUDDY_UPSTREAM_MODEL)
                .toolCalls(toolCall(0, "tooluse_def", "Read", "{\"path\":\"a.txt\"}{\"path\":\"b.txt\"}"))
                .finish("tool_calls")
                .usage(usage(40, 12, 0))
                .done()
                .sse();
        assertConcatenatedCase(sse, "tooluse_def");
    }

    private static void assertConcatenatedCase(String sse, String id) {
        Tool read = Tool.builder()
                .name("Read")
                .inputSchema(Tool.InputSchema.builder()
                        .properties(JsonValue.from(Map.of("path", Map.of("type", "string"))))
                        .build())
                .build();
        MessageCreateParams p =
                params().addTool(read).addUserMessage("Read a.txt").build();

        buddyUp.enqueue(UpstreamScript.sse(sse));
        Message s = streamed(buddySdk, p);
        buddyUp.enqueue(UpstreamScript.sse(sse));
        Message n = buddySdk.messages().create(p);
        for (Message m : List.of(s, n)) {
            assertThat(types(m)).containsExactly("tool_use");
            assertThat(m.content().get(0).asToolUse().id()).isEqualTo(id);
            assertThat(m.content().get(0).asToolUse().name()).isEqualTo("Read");
            assertThat(input(m.content().get(0))).isEqualTo(json("{\"path\":\"a.txt\"}"));
            assertThat(m.stopReason()).contains(StopReason.TOOL_USE);
        }

        buddyUp.enqueue(UpstreamScript.sse(sse));
        JsonNode raw = accumulate(rawStream(buddy, """
                {"model":"%s","max_tokens":1024,"stream":true,
                 "tools":[{"name":"Read","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}],
                 "messages":[{"role":"user","content":"Read a.txt"}]}
                """.formatted(MODEL)));
        assertThat(raw.path("content")).hasSize(1);
        assertThat(raw.at("/content/0/input")).isEqualTo(json("{\"path\":\"a.txt\"}"));
    }

    // ------------------------------------------------------------------ errors

    @Test
    void upstreamErrorMidStreamReachesTheSdkAsAnError() {
        String fixture = Fixtures.text("openai/stream-error-after-content.sse");
        genericUp.enqueue(UpstreamScript.sse(fixture));
        List<String> seen = new ArrayList<>();
        assertThatThrownBy(() -> {
                    try (StreamResponse<RawMessageStreamEvent> s = genericSdk
                            .messages()
                            .createStreaming(params().addUserMessage("Q?").build())) {
                        s.stream().forEach(e -> seen.add(tree(e).path("type").asText()));
                    }
                })
                .isInstanceOf(AnthropicServiceException.class)
                .hasMessageContaining("The server had an error while processing your request.");
        assertThat(seen).contains("message_start", "content_block_start");
        assertThat(seen).doesNotContain("message_stop");

        genericUp.enqueue(UpstreamScript.sse(fixture));
        List<AnthropicEventRecorder.Event> events = rawStream(generic, """
                {"model":"%s","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"Q?"}]}""".formatted(MODEL));
        assertThat(events.get(events.size() - 1).type()).isEqualTo("error");
        assertThat(events).noneMatch(e -> e.type().equals("message_stop"));
        String text = events.stream()
                .filter(e -> e.type().equals("content_block_delta"))
                .map(e -> json(e.json()).at("/delta/text").asText())
                .reduce("", String::concat);
        assertThat(text).isEqualTo("The answer is");
        JsonNode err = json(events.get(events.size() - 1).json());
        assertThat(err.at("/error/type").asText()).isEqualTo("api_error");

        // a non-stream client of a forced-stream upstream gets an HTTP error instead of a half message
        buddyUp.enqueue(UpstreamScript.sse(fixture));
        assertThatThrownBy(() ->
                        buddySdk.messages().create(params().addUserMessage("Q?").build()))
                .isInstanceOfSatisfying(
                        AnthropicServiceException.class,
                        e -> assertThat(e.statusCode()).isGreaterThanOrEqualTo(500))
                .hasMessageContaining("The server had an error while processing your request.");
    }

    @Test
    void anErrorAfterContentIsNotLoggedAsAClean200() throws Exception {
        Logger access = (Logger) LoggerFactory.getLogger("access");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        Level before = access.getLevel();
        lines.start();
        access.addAppender(lines);
        access.setLevel(Level.INFO);
        try {
            genericUp.enqueue(UpstreamScript.sse(Fixtures.text("openai/stream-error-after-content.sse")));
            List<AnthropicEventRecorder.Event> events = rawStream(generic, """
                    {"model":"%s","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"Q?"}]}""".formatted(MODEL));
            // message ids are msg_<request id suffix>: find this request's line, not a late one of an earlier test
            String suffix =
                    json(events.get(0).json()).at("/message/id").asText().substring("msg_".length());
            // the access line is written once the response is complete, which the client may see first
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            String line = null;
            while (line == null && System.nanoTime() < deadline) {
                synchronized (lines) {
                    line = lines.list.stream()
                            .map(ILoggingEvent::getFormattedMessage)
                            .filter(l -> l.startsWith("POST /v1/messages") && l.endsWith("_" + suffix))
                            .findFirst()
                            .orElse(null);
                }
                if (line == null) {
                    Thread.onSpinWait();
                    TimeUnit.MILLISECONDS.sleep(10);
                }
            }
            assertThat(line)
                    .isNotNull()
                    .contains("status=200")
                    .contains("note=")
                    .contains("The server had an error while processing your request.");
        } finally {
            access.detachAppender(lines);
            access.setLevel(before);
            lines.stop();
        }
    }

    @Test
    void upstreamCutOffMidStreamIsAnErrorNotAHang() {
        genericUp.enqueue(OpenAiUpstreamScripts.stream(GENERIC_UPSTREAM_MODEL)
                .text("Partial")
                .text(" answer")
                .finish("stop")
                .done()
                .script()
                .dropAfter(2));
        assertThatThrownBy(
                        () -> streamed(genericSdk, params().addUserMessage("Q?").build()))
                .isInstanceOf(AnthropicServiceException.class);

        buddyUp.enqueue(OpenAiUpstreamScripts.stream(BUDDY_UPSTREAM_MODEL)
                .text("Partial")
                .text(" answer")
                .finish("stop")
                .done()
                .script()
                .dropAfter(2));
        assertThatThrownBy(() ->
                        buddySdk.messages().create(params().addUserMessage("Q?").build()))
                .isInstanceOfSatisfying(
                        AnthropicServiceException.class,
                        e -> assertThat(e.statusCode()).isGreaterThanOrEqualTo(500));
    }

    @Test
    void upstreamHttpErrorsAreMappedToAnthropicErrors() {
        String unsupported = Fixtures.text("openai/error-400-unsupported-parameter.json");
        genericUp.enqueue(UpstreamScript.json(400, unsupported));
        assertThatThrownBy(() -> genericSdk
                        .messages()
                        .create(params().addUserMessage("Hi").build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(tree(e.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");
                })
                .hasMessageContaining("Unsupported parameter: 'max_tokens' is not supported with this model.");

        // streaming clients get the same HTTP error: nothing was committed before the upstream answered
        genericUp.enqueue(UpstreamScript.json(400, unsupported));
        assertThatThrownBy(
                        () -> streamed(genericSdk, params().addUserMessage("Hi").build()))
                .isInstanceOf(BadRequestException.class)
                .hasMessageContaining("Unsupported parameter");

        genericUp.enqueue(UpstreamScript.json(
                429,
                "{\"error\":{\"message\":\"Rate limit reached for requests\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}",
                Map.of("retry-after", "7")));
        assertThatThrownBy(() -> genericSdk
                        .messages()
                        .create(params().addUserMessage("Hi").build()))
                .isInstanceOfSatisfying(RateLimitException.class, e -> {
                    assertThat(e.headers().values("retry-after")).containsExactly("7");
                    assertThat(tree(e.body()).at("/error/type").asText()).isEqualTo("rate_limit_error");
                })
                .hasMessageContaining("Rate limit reached for requests");
        genericUp.enqueue(UpstreamScript.json(
                429, "{\"error\":{\"message\":\"slow down\",\"type\":\"requests\"}}", Map.of("retry-after", "7")));
        HttpResponse<String> raw = generic.post(
                "/v1/messages",
                "{\"model\":\"" + MODEL + "\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "content-type",
                "application/json");
        assertThat(raw.statusCode()).isEqualTo(429);
        assertThat(raw.headers().firstValue("retry-after")).contains("7");
        assertThat(json(raw.body()).path("type").asText()).isEqualTo("error");
        assertThat(json(raw.body()).at("/error/type").asText()).isEqualTo("rate_limit_error");

        genericUp.enqueue(UpstreamScript.json(
                500, "{\"error\":{\"message\":\"boom in the backend\",\"type\":\"server_error\"}}"));
        assertThatThrownBy(() -> genericSdk
                        .messages()
                        .create(params().addUserMessage("Hi").build()))
                .isInstanceOfSatisfying(InternalServerException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(500);
                    assertThat(tree(e.body()).at("/error/type").asText()).isEqualTo("api_error");
                })
                .hasMessageContaining("boom in the backend");

        buddyUp.enqueue(UpstreamScript.json(
                500,
                "{\"code\":11134,\"msg\":\"model provider temporarily unavailable\",\"requestId\":\"req-11134\"}"));
        assertThatThrownBy(() ->
                        buddySdk.messages().create(params().addUserMessage("Hi").build()))
                .isInstanceOfSatisfying(AnthropicServiceException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(529);
                    assertThat(tree(e.body()).at("/error/type").asText()).isEqualTo("overloaded_error");
                })
                .hasMessageContaining("model provider temporarily unavailable");
        assertThat(buddyUp.last().json().path("stream").asBoolean()).isTrue();
    }

    @Test
    void codeBuddyFirstInAChainFailsOverInvisiblyOnlyBeforeContent() throws Exception {
        try (ProxyHarness chain =
                ProxyHarness.start("""
                providers:
                  codebuddy:
                    base_url: %s/v2
                    api_key: k
                  oai:
                    kind: openai
                    base_url: %s/v1
                    api_key: sk-generic
                    models:
                      "claude-*": %s
                route: [codebuddy, oai]
                """.formatted(buddyUp.baseUrl(), genericUp.baseUrl(), GENERIC_UPSTREAM_MODEL))) {
            AnthropicClient sdk = client(chain);
            String errorBeforeContent = OpenAiUpstreamScripts.stream(BUDDY_UPSTREAM_MODEL)
                    .data(
                            "{\"error\":{\"message\":\"model provider temporarily unavailable\",\"type\":\"server_error\",\"code\":11134}}")
                    .sse();

            // streaming client: the held message_start and the error never reach it; the backup answers
            buddyUp.enqueue(UpstreamScript.sse(errorBeforeContent));
            genericUp.enqueue(OpenAiUpstreamScripts.stream(GENERIC_UPSTREAM_MODEL)
                    .text("From the backup.")
                    .finish("stop")
                    .usage(usage(10, 4, 0))
                    .done()
                    .script());
            List<AnthropicEventRecorder.Event> events = rawStream(chain, """
                    {"model":"%s","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"Q?"}]}""".formatted(MODEL));
            assertThat(events.stream()
                            .filter(e -> e.type().equals("message_start"))
                            .count())
                    .isEqualTo(1);
            assertThat(events).noneMatch(e -> e.type().equals("error"));
            assertThat(accumulate(events).at("/content/0/text").asText()).isEqualTo("From the backup.");
            assertThat(buddyUp.received()).hasSize(1);
            assertThat(genericUp.received()).hasSize(1);

            // non-stream client: the aggregated CodeBuddy stream failed, the backup answers
            chain.post("/v1/quota/reset", "");
            buddyUp.enqueue(UpstreamScript.sse(errorBeforeContent));
            Message m = sdk.messages().create(params().addUserMessage("Q?").build());
            assertThat(m.content().get(0).asText().text()).isEqualTo("Hi there.");
            assertThat(buddyUp.received()).hasSize(2);
            assertThat(genericUp.received()).hasSize(2);

            // after content began there is no going back: the client sees the text, then an error
            chain.post("/v1/quota/reset", "");
            buddyUp.enqueue(OpenAiUpstreamScripts.stream(BUDDY_UPSTREAM_MODEL)
                    .text("Half an ans")
                    .data("{\"error\":{\"message\":\"model provider temporarily unavailable\",\"code\":11134}}")
                    .script());
            List<AnthropicEventRecorder.Event> broken = rawStream(chain, """
                    {"model":"%s","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"Q?"}]}""".formatted(MODEL));
            assertThat(broken.get(broken.size() - 1).type()).isEqualTo("error");
            assertThat(json(broken.get(broken.size() - 1).json())
                            .at("/error/type")
                            .asText())
                    .isEqualTo("overloaded_error");
            assertThat(broken).anyMatch(e -> e.json().contains("Half an ans"));
            assertThat(buddyUp.received()).hasSize(3);
            assertThat(genericUp.received()).hasSize(2);
            sdk.close();
        }
    }

    // ------------------------------------------------------------------ usage, count_tokens

    @Test
    void usageSubtractsCachedTokensFromInput() {
        genericUp.enqueue(OpenAiUpstreamScripts.stream(GENERIC_UPSTREAM_MODEL)
                .text("ok")
                .finish("stop")
                .usage(usage(2100, 48, 1920))
                .done()
                .script());
        Message s = streamed(genericSdk, params().addUserMessage("Hi").build());
        genericUp.enqueue(OpenAiUpstreamScripts.completionScript(
                GENERIC_UPSTREAM_MODEL, "ok", null, "stop", usage(2100, 48, 1920)));
        Message n = genericSdk.messages().create(params().addUserMessage("Hi").build());
        for (Message m : List.of(s, n)) {
            assertThat(m.usage().inputTokens()).isEqualTo(180);
            assertThat(m.usage().cacheReadInputTokens()).contains(1920L);
            assertThat(m.usage().cacheCreationInputTokens()).contains(0L);
            assertThat(m.usage().outputTokens()).isEqualTo(48);
        }

        genericUp.enqueue(OpenAiUpstreamScripts.stream(GENERIC_UPSTREAM_MODEL)
                .text("ok")
                .finish("stop")
                .usage(usage(2100, 48, 1920))
                .done()
                .script());
        List<AnthropicEventRecorder.Event> events = rawStream(
                generic,
                "{\"model\":\"" + MODEL
                        + "\",\"max_tokens\":10,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        JsonNode delta = events.stream()
                .filter(e -> e.type().equals("message_delta"))
                .map(e -> json(e.json()))
                .findFirst()
                .orElseThrow();
        assertThat(delta.path("usage"))
                .isEqualTo(
                        json(
                                "{\"input_tokens\":180,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":1920,\"output_tokens\":48}"));
    }

    @Test
    void withoutUpstreamUsageTheInputEstimateDoesNotCountImageBytesAsText() {
        // a 1x1 PNG followed by padding: ~300 KB of base64 that is one small image, not 75k tokens of text
        byte[] png = Base64.getDecoder().decode(PNG_1PX);
        byte[] big = Arrays.copyOf(png, 225_000);
        String data = Base64.getEncoder().encodeToString(big);
        MessageCreateParams p = params().addUserMessageOfContentBlockParams(List.of(
                        ContentBlockParam.ofText(TextBlockParam.builder()
                                .text("What is in this picture?")
                                .build()),
                        ContentBlockParam.ofImage(ImageBlockParam.builder()
                                .source(Base64ImageSource.builder()
                                        .mediaType(Base64ImageSource.MediaType.IMAGE_PNG)
                                        .data(data)
                                        .build())
                                .build())))
                .build();
        long counted = genericSdk
                .messages()
                .countTokens(MessageCountTokensParams.builder()
                        .model(MODEL)
                        .messages(p.messages())
                        .build())
                .inputTokens();
        assertThat(counted).isBetween(1L, 2000L);

        genericUp.enqueue(OpenAiUpstreamScripts.stream(GENERIC_UPSTREAM_MODEL)
                .text("A dot.")
                .finish("stop")
                .done()
                .script());
        Message m = streamed(genericSdk, p);
        assertThat(m.content().get(0).asText().text()).isEqualTo("A dot.");
        assertThat(m.usage().inputTokens()).isBetween(1L, 2 * counted + 100);
    }

    @Test
    void withoutUpstreamUsageANonStreamAnswerStillReportsInputTokens() {
        String prompt = "Summarise the plot of Hamlet in two sentences, please. ".repeat(20);
        long counted = genericSdk
                .messages()
                .countTokens(MessageCountTokensParams.builder()
                        .model(MODEL)
                        .addUserMessage(prompt)
                        .build())
                .inputTokens();
        genericUp.enqueue(OpenAiUpstreamScripts.completionScript(
                GENERIC_UPSTREAM_MODEL, "A prince avenges his father.", null, "stop", null));
        Message m = genericSdk.messages().create(params().addUserMessage(prompt).build());
        assertThat(m.content().get(0).asText().text()).isEqualTo("A prince avenges his father.");
        assertThat(m.usage().inputTokens()).isEqualTo(counted);
        assertThat(m.usage().outputTokens()).isPositive();
    }

    @Test
    void countTokensIsAnsweredLocallyAndGrowsWithThePrompt() {
        long small = genericSdk
                .messages()
                .countTokens(MessageCountTokensParams.builder()
                        .model(MODEL)
                        .addUserMessage("Hello, how are you?")
                        .build())
                .inputTokens();
        String longText = "The quick brown fox jumps over the lazy dog. ".repeat(200);
        long large = genericSdk
                .messages()
                .countTokens(MessageCountTokensParams.builder()
                        .model(MODEL)
                        .addUserMessage(longText)
                        .build())
                .inputTokens();
        long withTool = buddySdk.messages()
                .countTokens(MessageCountTokensParams.builder()
                        .model(MODEL)
                        .addUserMessage("Hello, how are you?")
                        .addTool(weatherTool())
                        .build())
                .inputTokens();

        assertThat(small).isBetween(1L, 40L);
        assertThat(large).isGreaterThan(small).isBetween(1500L, 3500L);
        assertThat(withTool).isGreaterThan(small);
        assertThat(genericUp.received()).isEmpty();
        assertThat(buddyUp.received()).isEmpty();
    }

    // ------------------------------------------------------------------ Claude Code

    /** The synthetic Claude Code request plus what Claude Code 2.1.332 adds (claude-code-wire.md). */
    private static ObjectNode claudeCodeLikeRequest() {
        ObjectNode req = Fixtures.object("synthetic/anthropic-request-claude-code-like.json");
        ((ArrayNode) req.path("system"))
                .insert(
                        0,
                        json(
                                "{\"type\":\"text\",\"text\":\"x-anthropic-billing-header: cc_version=2.1.332.abc; cc_entrypoint=sdk-cli; cch=00000;\"}"));
        ((ArrayNode) req.path("messages"))
                .insert(
                        1,
                        json(
                                "{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"<env>\\nWorking directory: /repo\\nIs git repo: yes\\n</env>\"}]}"));
        ((ArrayNode) req.path("tools"))
                .add(
                        json(
                                "{\"name\":\"DeferredToolPlaceholder\",\"description\":\"\",\"input_schema\":{\"type\":\"object\",\"properties\":{}},\"defer_loading\":true}"));
        ((ObjectNode) req.path("tools").get(1).path("input_schema"))
                .put("$schema", "https://json-schema.org/draft/2020-12/schema");
        return req;
    }

    @Test
    void claudeCodeLikeRequestIsAcceptedEndToEndOnCodeBuddy() {
        buddyUp.enqueue(OpenAiUpstreamScripts.stream(BUDDY_UPSTREAM_MODEL)
                .text("The README describes a tiny demo project.")
                .finish("stop")
                .usage(usage(900, 11, 0))
                .done()
                .script());
        JsonNode m = accumulate(rawStream(buddy, claudeCodeLikeRequest().toString()));
        assertThat(m.at("/content/0/text").asText()).isEqualTo("The README describes a tiny demo project.");
        assertThat(m.path("model").asText()).isEqualTo("claude-sonnet-4-5-20250929");

        RecordedRequest r = buddyUp.last();
        JsonNode body = r.json();
        assertThat(roles(body)).containsExactly("system", "user", "system", "assistant", "tool", "tool", "user");
        JsonNode msgs = body.path("messages");
        assertThat(msgs.get(0).path("content").asText())
                .contains("Working directory: /repo\nPlatform: linux")
                .doesNotContain("x-anthropic-billing-header")
                .doesNotContain("Claude Code, Anthropic's official CLI");
        assertThat(msgs.get(2).path("content").asText())
                .contains("Working directory: /repo")
                .contains("Is git repo: yes");
        assertThat(msgs.get(3).path("tool_calls")).hasSize(2);
        assertThat(msgs.get(4).path("tool_call_id").asText()).isEqualTo("toolu_01A09q90qw90lq917835lq9");
        assertThat(msgs.get(5).path("content").asText()).startsWith("[tool error] ");
        assertThat(r.bodyText())
                .doesNotContain("$schema")
                .doesNotContain("DeferredToolPlaceholder")
                .doesNotContain("synthetic-signature")
                .doesNotContain("cache_control");
        List<String> toolNames = new ArrayList<>();
        body.path("tools").forEach(t -> toolNames.add(t.at("/function/name").asText()));
        assertThat(toolNames)
                .hasSize(3)
                .contains("Read", "Bash")
                .doesNotContain("web_search", "DeferredToolPlaceholder");
        assertThat(toolNames).allSatisfy(n -> assertThat(n.length()).isLessThanOrEqualTo(64));
        assertThat(body.path("stop")).hasSize(4);
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(body.path("model").asText()).isEqualTo(BUDDY_UPSTREAM_MODEL);
    }

    @Test
    void claudeCodeLikeRequestKeepsTheMidConversationSystemMessageOnTheGenericUpstream() {
        genericUp.enqueue(OpenAiUpstreamScripts.stream(GENERIC_UPSTREAM_MODEL)
                .text("Done.")
                .finish("stop")
                .usage(usage(900, 2, 0))
                .done()
                .script());
        JsonNode m = accumulate(rawStream(generic, claudeCodeLikeRequest().toString()));
        assertThat(m.at("/content/0/text").asText()).isEqualTo("Done.");

        JsonNode body = genericUp.last().json();
        assertThat(roles(body)).containsExactly("system", "user", "system", "assistant", "tool", "tool", "user");
        assertThat(body.at("/messages/2/content").asText()).contains("Working directory: /repo");
        assertThat(genericUp.last().bodyText()).doesNotContain("DeferredToolPlaceholder");
    }
}
