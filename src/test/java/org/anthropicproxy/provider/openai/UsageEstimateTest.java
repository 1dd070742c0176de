package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.anthropicproxy.sse.SseParser;
import org.anthropicproxy.testkit.Fixtures;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;

/** Local token estimates are made only for figures the upstream does not report, and the tokenizer runs once at most. */
class UsageEstimateTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** A translator with its own counter (to count tokenizer calls) fed one fixture; events kept as parsed JSON. */
    static final class Run {
        final TokenCounter counter = new TokenCounter(0);
        final AtomicInteger inputAsked = new AtomicInteger();
        final List<JsonNode> events = new ArrayList<>();
        final AnthropicMessageAccumulator acc = new AnthropicMessageAccumulator();
        final StreamTranslator t;

        Run(String fixture, boolean inputInStart) {
            LongSupplier input = () -> {
                inputAsked.incrementAndGet();
                return 1234;
            };
            t = new StreamTranslator(
                    (type, json) -> {
                        acc.event(type, json);
                        try {
                            events.add(JSON.readTree(json));
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    },
                    "claude-client",
                    ToolNameMap.identity(),
                    List.of(),
                    OpenAiDialect.defaults(),
                    "msg_u",
                    input,
                    inputInStart,
                    counter);
            SseParser p = new SseParser(ev -> t.onData(ev.data()));
            byte[] b = Fixtures.bytes(fixture);
            p.feed(b, 0, b.length);
            t.onUpstreamEnd();
        }

        JsonNode event(String type) {
            return events.stream()
                    .filter(e -> type.equals(e.path("type").asText()))
                    .findFirst()
                    .orElseThrow();
        }

        String emittedOutput() {
            StringBuilder sb = new StringBuilder();
            for (JsonNode e : events) {
                JsonNode d = e.path("delta");
                sb.append(d.path("text").asText("")).append(d.path("thinking").asText(""));
            }
            return sb.toString();
        }
    }

    @Test
    void streamWithUpstreamUsageNeverTokenizesOutput() {
        Run r = new Run("openai/stream-text-include-usage.sse", true);
        assertThat(r.t.finished()).isTrue();
        assertThat(r.counter.tokenizerCalls()).isZero();
        assertThat(r.event("message_start")
                        .path("message")
                        .path("usage")
                        .path("input_tokens")
                        .asLong())
                .isEqualTo(1234);
        JsonNode u = r.event("message_delta").path("usage");
        assertThat(u.path("input_tokens").asLong()).isEqualTo(14);
        assertThat(u.path("output_tokens").asLong()).isEqualTo(30);
        assertThat(r.t.usage().outputTokens()).isEqualTo(30);
        assertThat(r.counter.tokenizerCalls()).isZero();
    }

    @Test
    void accumulatedStreamWithUsageCountsNothingAtAll() {
        Run r = new Run("openai/stream-text-include-usage.sse", false);
        assertThat(r.inputAsked.get()).isZero();
        assertThat(r.counter.tokenizerCalls()).isZero();
        assertThat(r.event("message_start")
                        .path("message")
                        .path("usage")
                        .path("input_tokens")
                        .asLong())
                .isZero();
        // the final message takes all four figures from message_delta: the upstream's
        assertThat(r.acc.message().path("usage").toString())
                .isEqualTo(
                        "{\"input_tokens\":14,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":30}");
    }

    @Test
    void streamWithoutUsageEstimatesOutputOnceAtTheEnd() {
        // text deltas only, no usage chunk
        String[] deltas = {"Hello", " there,", " this is", " a stream", " without any usage", " figures at all."};
        StringBuilder sse = new StringBuilder();
        for (String d : deltas) {
            sse.append("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"")
                    .append(d)
                    .append("\"}}]}\n\n");
        }
        sse.append("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
        TokenCounter counter = new TokenCounter(0);
        List<String> types = new ArrayList<>();
        AnthropicMessageAccumulator acc = new AnthropicMessageAccumulator();
        StreamTranslator t = new StreamTranslator(
                (type, json) -> {
                    types.add(type);
                    acc.event(type, json);
                },
                "m",
                null,
                List.of(),
                OpenAiDialect.defaults(),
                "msg_x",
                () -> 77,
                true,
                counter);
        SseParser p = new SseParser(ev -> t.onData(ev.data()));
        byte[] b = sse.toString().getBytes(StandardCharsets.UTF_8);
        p.feed(b, 0, b.length);
        t.onUpstreamEnd();
        assertThat(types).endsWith("message_delta", "message_stop");
        assertThat(counter.tokenizerCalls()).isEqualTo(1);
        ObjectNode m = acc.message();
        long expected = TokenCounter.shared().countText(String.join("", deltas));
        assertThat(expected).isGreaterThan(5);
        assertThat(m.path("usage").path("output_tokens").asLong()).isEqualTo(expected);
        assertThat(m.path("usage").path("input_tokens").asLong()).isEqualTo(77);
        assertThat(t.usage().outputTokens()).isEqualTo(expected);
        assertThat(counter.tokenizerCalls()).isEqualTo(1);
    }

    @Test
    void streamFixtureWithoutUsageCountsToolArguments() {
        Run r = new Run("vendors/gemini-openai-compat-stream-tools-no-index.sse", true);
        long out = r.event("message_delta").path("usage").path("output_tokens").asLong();
        long expected = TokenCounter.shared().countText("{\"command\":\"echo hi\"}{\"command\":\"pwd\"}");
        assertThat(out).isEqualTo(expected);
        assertThat(r.counter.tokenizerCalls()).isEqualTo(1);
        assertThat(r.event("message_delta").path("usage").path("input_tokens").asLong())
                .isEqualTo(1234);
        assertThat(r.inputAsked.get()).isEqualTo(1);
    }

    @Test
    void streamWithoutUsageAccumulatedAsksForTheInputEstimateAtTheEnd() {
        Run r = new Run("vendors/gemini-openai-compat-stream-tools-no-index.sse", false);
        assertThat(r.inputAsked.get()).isEqualTo(1);
        assertThat(r.acc.message().path("usage").path("input_tokens").asLong()).isEqualTo(1234);
    }

    @Test
    void outputPastTheSampleIsScaledByCharacters() {
        TokenCounter counter = new TokenCounter(0);
        List<JsonNode> deltas = new ArrayList<>();
        StreamTranslator t = new StreamTranslator(
                (type, json) -> {
                    if (type.equals("message_delta")) {
                        try {
                            deltas.add(JSON.readTree(json));
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    }
                },
                "m",
                null,
                List.of(),
                OpenAiDialect.defaults(),
                "msg_x",
                () -> 1,
                true,
                counter);
        String piece = "word ".repeat(1000);
        int pieces = StreamUsage.OUTPUT_SAMPLE_CHARS / piece.length() * 2;
        for (int i = 0; i < pieces; i++) {
            t.onData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + piece + "\"}}]}");
        }
        t.onData("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");
        t.onData("[DONE]");
        long exact = TokenCounter.shared().countText(piece.repeat(pieces));
        long est = deltas.get(0).path("usage").path("output_tokens").asLong();
        assertThat((double) est).isCloseTo((double) exact, Percentage.withPercentage(2));
    }

    @Test
    void nonStreamWithUsageCountsNothing() {
        TokenCounter counter = new TokenCounter(0);
        AtomicInteger inputAsked = new AtomicInteger();
        ResponseMapper mapper = new ResponseMapper(OpenAiDialect.defaults(), counter);
        ObjectNode m = mapper.toAnthropic(
                Fixtures.json("openai/chat-completion-text.json"), "claude-x", null, List.of(), () -> {
                    inputAsked.incrementAndGet();
                    return 5;
                });
        assertThat(m.path("usage").path("output_tokens").asLong()).isEqualTo(363);
        assertThat(counter.tokenizerCalls()).isZero();
        assertThat(inputAsked.get()).isZero();
    }

    @Test
    void nonStreamWithoutUsageEstimatesBoth() throws Exception {
        TokenCounter counter = new TokenCounter(0);
        ResponseMapper mapper = new ResponseMapper(OpenAiDialect.defaults(), counter);
        JsonNode c = JSON.readTree(
                "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"hello world, how are you\"},\"finish_reason\":\"stop\"}]}");
        ObjectNode m = mapper.toAnthropic(c, "claude-x", null, List.of(), () -> 42);
        assertThat(m.path("usage").path("input_tokens").asLong()).isEqualTo(42);
        assertThat(m.path("usage").path("output_tokens").asLong())
                .isEqualTo(TokenCounter.shared().countText("hello world, how are you"));
        assertThat(counter.tokenizerCalls()).isEqualTo(1);
    }

    /** Events of a translator with separate start/final input estimates fed {@code sse}; counts how often each is asked. */
    private static List<JsonNode> translate(String sse, LongSupplier start, LongSupplier fin) {
        List<JsonNode> events = new ArrayList<>();
        StreamTranslator t = new StreamTranslator(
                (type, json) -> {
                    try {
                        events.add(JSON.readTree(json));
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                },
                "claude-client",
                ToolNameMap.identity(),
                List.of(),
                OpenAiDialect.defaults(),
                "msg_q",
                start,
                fin,
                true,
                new TokenCounter(0));
        SseParser p = new SseParser(ev -> t.onData(ev.data()));
        byte[] b = sse.getBytes(StandardCharsets.UTF_8);
        p.feed(b, 0, b.length);
        t.onUpstreamEnd();
        return events;
    }

    private static long usageOf(List<JsonNode> events, String type) {
        JsonNode e = events.stream()
                .filter(x -> type.equals(x.path("type").asText()))
                .findFirst()
                .orElseThrow();
        return (type.equals("message_start") ? e.path("message").path("usage") : e.path("usage"))
                .path("input_tokens")
                .asLong();
    }

    @Test
    void quickStartEstimateThenUpstreamCountAndNoExactCount() {
        AtomicInteger exactAsked = new AtomicInteger();
        List<JsonNode> ev = translate(
                new String(Fixtures.bytes("openai/stream-text-include-usage.sse"), StandardCharsets.UTF_8),
                () -> 77,
                () -> {
                    exactAsked.incrementAndGet();
                    return 999;
                });
        assertThat(usageOf(ev, "message_start")).isEqualTo(77);
        assertThat(usageOf(ev, "message_delta"))
                .as("the upstream's prompt_tokens")
                .isEqualTo(14);
        assertThat(exactAsked.get())
                .as("an upstream count makes the exact one unnecessary")
                .isZero();
    }

    @Test
    void streamWithoutUpstreamUsageEndsWithTheExactCount() {
        String sse =
                "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"role\":\"assistant\",\"content\":\"hi there\"},\"finish_reason\":null}]}\n\n"
                        + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
        AtomicInteger exactAsked = new AtomicInteger();
        List<JsonNode> ev = translate(sse, () -> 77, () -> {
            exactAsked.incrementAndGet();
            return 999;
        });
        assertThat(usageOf(ev, "message_start")).isEqualTo(77);
        assertThat(usageOf(ev, "message_delta")).isEqualTo(999);
        assertThat(exactAsked.get()).isEqualTo(1);
    }

    @Test
    void quickCounterNeverLoadsTheTokenizer() throws Exception {
        assertThat(TokenCounter.quickTokens("abcdefgh")).isEqualTo(2);
        assertThat(TokenCounter.quickTokens("abcdefghi")).isEqualTo(3);
        assertThat(TokenCounter.quickTokens("你好世界"))
                .as("about a token a CJK character")
                .isEqualTo(4);
        assertThat(TokenCounter.quickTokens("😀"))
                .as("a surrogate pair is one character")
                .isEqualTo(1);
        JsonNode req = JSON.readTree("{\"system\":\"You are terse.\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"Summarize the file in two sentences please.\"}],\"tools\":[{\"name\":\"read\",\"description\":\"Read a file\","
                + "\"input_schema\":{\"type\":\"object\"}}]}");
        long before = TokenCounter.quick().tokenizerCalls();
        long quick = TokenCounter.quick().countRequest(req);
        assertThat(TokenCounter.quick().tokenizerCalls()).isEqualTo(before);
        long exact = new TokenCounter(0).countRequest(req);
        assertThat((double) quick)
                .as("same walk, close to the tokenizer on English")
                .isCloseTo((double) exact, Percentage.withPercentage(35));
    }
}
