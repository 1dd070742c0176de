package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.anthropicproxy.provider.Usage;
import org.anthropicproxy.testkit.AnthropicStreamGrammar;
import org.anthropicproxy.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class StreamFixturesTest {

    /** Expected final message per upstream fixture. {@code usage=in,out,cache_read,cache_write}; "~" = estimated. */
    static final Map<String, String> EXPECTED = Map.ofEntries(
            Map.entry("openai/stream-error-after-content.sse", """
                    text:The answer is
                    error=api_error:The server had an error while processing your request."""),
            Map.entry("openai/stream-finish-length.sse", """
                    text:{"
                    stop=max_tokens/null
                    usage=79,1,0,0"""),
            Map.entry("openai/stream-refusal.sse", """
                    text:I'm sorry, I can't assist with that request.
                    stop=refusal/null
                    usage=79,11,0,0"""),
            Map.entry("openai/stream-text-include-usage.sse", """
                    text:I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.
                    stop=end_turn/null
                    usage=14,30,0,0"""),
            Map.entry("openai/stream-text-obfuscation-abridged.sse", """
                    text:**Holiday Name:** Harmony Day

                    **Date:** Celebr.
                    stop=end_turn/null
                    usage=16,300,0,0"""),
            Map.entry("openai/stream-tool-call-single.sse", """
                    tool_use:call_CTf1nWJLqSeRgDqaCG27xZ74:get_weather:{"city":"San Francisco","state":"CA"}
                    stop=tool_use/null
                    usage=48,19,0,0"""),
            Map.entry("openai/stream-tool-calls-parallel.sse", """
                    tool_use:call_JMW1whyEaYG438VE1OIflxA2:GetWeatherArgs:{"city":"Edinburgh","country":"GB","units":"c"}
                    tool_use:call_DNYTawLBoN8fj3KN6qU9N1Ou:get_stock_price:{"ticker":"AAPL","exchange":"NASDAQ"}
                    stop=tool_use/null
                    usage=149,60,0,0"""),
            Map.entry("synthetic/openai-stream-interleaved-parallel-tools-text-after.sse", """
                    text:Checking both.
                    tool_use:call_A1:get_weather:{"city":"Paris"}
                    tool_use:call_B2:get_time:{"tz":"Europe/Paris"}
                    text: Results incoming.
                    stop=tool_use/null
                    usage=180,48,1920,0"""),
            Map.entry("vendors/anthropic-openai-compat-stream-tool-index-1.sse", """
                    text:Reading it.
                    tool_use:toolu_sanitized:read_file:{"path":"a.txt"}
                    stop=tool_use/null
                    usage=100,~,0,0"""),
            Map.entry("vendors/deepseek-stream-reasoning-content-abridged.sse", """
                    thinking:We need to count the number of the letter 3.#sig=
                    text:The word "strawberry three "r"s.
                    stop=end_turn/null
                    usage=18,219,0,0"""),
            Map.entry("vendors/deepseek-stream-reasoning-then-tool-call.sse", """
                    thinking:The user is asking for the weather in San Francisco. I need to use the weather tool to get this information. Let me invoke the weather tool with the location parameter set to "San Francisco".#sig=
                    tool_use:call_00_ioIn7yN9p1ZOMNpDLwd4MgAF:weather:{"location":"San Francisco"}
                    stop=tool_use/null
                    usage=19,83,320,0"""),
            Map.entry("vendors/gemini-openai-compat-stream-tools-no-index.sse", """
                    tool_use:jm4owj31:bash:{"command":"echo hi"}
                    tool_use:mw4fnecu:bash:{"command":"pwd"}
                    stop=tool_use/null
                    usage=100,~,0,0"""),
            Map.entry("vendors/glm-stream-tool-call-empty-name-continuation.sse", """
                    tool_use:chatcmpl-tool-9f149c74c42f265b:webSearchTool:{"query":"current Berlin weather"}
                    stop=tool_use/null
                    usage=43,14,128,0"""),
            Map.entry("vendors/groq-stream-reasoning-field-abridged.sse", """
                    thinking:Okay, let me try to figure out how is three.
                    #sig=
                    text:The word **"straw{3}$
                    stop=end_turn/null
                    usage=17,1107,0,0"""),
            Map.entry("vendors/groq-stream-tool-call-whole-args.sse", """
                    tool_use:tk85n1k4m:weather:{}
                    stop=tool_use/null
                    usage=210,15,0,0"""),
            Map.entry("vendors/kimi-stream-reasoning-content-finish-same-chunk.sse", """
                    thinking:Thinking aloud. #sig=
                    text:Hello!
                    stop=end_turn/null
                    usage=9,12,0,0"""),
            Map.entry("vendors/openrouter-stream-reasoning-signature-tool.sse", """
                    thinking:The user wants the weather in Paris.#sig=EqQBCgIYAhIMsynthetic-openrouter-passthrough-signature
                    text:I'll check.
                    tool_use:toolu_01Q2w3E4r5T6y7U8i9O0p1A2:get_weather:{"city":"Paris"}
                    stop=tool_use/null
                    usage=180,87,1024,0"""),
            Map.entry("vendors/qwen-stream-tool-call-empty-id-continuations.sse", """
                    tool_use:call_eee11723464a4b9eb8cee71d:weather:{"location":"San Francisco"}
                    stop=tool_use/null
                    usage=295,22,0,0"""),
            Map.entry("vendors/xai-stream-reasoning-then-tool-call.sse", """
                    thinking:First, the user is#sig=
                    tool_use:call_55117580:weather:{"location":"San Francisco"}
                    stop=tool_use/null
                    usage=1,222,290,0"""));

    static List<String> upstreamFixtures() {
        List<String> all = new ArrayList<>();
        for (String dir : List.of("openai", "vendors", "synthetic")) {
            all.addAll(Fixtures.list(dir, ".sse"));
        }
        return all;
    }

    static Stream<String> fixtures() {
        return upstreamFixtures().stream();
    }

    @Test
    void everyFixtureHasAnExpectation() {
        assertThat(EXPECTED.keySet()).containsExactlyInAnyOrderElementsOf(upstreamFixtures());
    }

    /** Replaces an estimated output count by "~" (it depends on the tokenizer, not on the fixture). */
    static String normalize(String fixture, String described) {
        if (EXPECTED.get(fixture).contains(",~,")) {
            return described.replaceAll("usage=(\\d+),(\\d+),", "usage=$1,~,");
        }
        return described;
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void fixtureTranslatesToTheExpectedMessage(String fixture) {
        StreamHarness h = StreamHarness.run(Fixtures.bytes(fixture));
        AnthropicStreamGrammar.strict().assertValid(h.events());
        assertThat(normalize(fixture, h.describe())).isEqualTo(EXPECTED.get(fixture));
        assertThat(h.translator.finished()).isTrue();
    }

    @Test
    void estimatedUsageWhenUpstreamSendsNone() {
        StreamHarness h = StreamHarness.run(Fixtures.bytes("vendors/anthropic-openai-compat-stream-tool-index-1.sse"));
        Usage u = h.translator.usage();
        assertThat(u.inputTokens()).isEqualTo(StreamHarness.INPUT_ESTIMATE);
        assertThat(u.outputTokens()).isPositive();
        String md = h.events().stream()
                .filter(e -> e.type().equals("message_delta"))
                .findFirst()
                .orElseThrow()
                .json();
        assertThat(md).contains("\"input_tokens\":100").contains("\"cache_read_input_tokens\":0");
    }

    @Test
    void messageDeltaCarriesCacheFiguresForClaudeCodesMeter() {
        StreamHarness h =
                StreamHarness.run(Fixtures.bytes("synthetic/openai-stream-interleaved-parallel-tools-text-after.sse"));
        String md = h.events().stream()
                .filter(e -> e.type().equals("message_delta"))
                .findFirst()
                .orElseThrow()
                .json();
        assertThat(md)
                .contains("\"input_tokens\":180")
                .contains("\"cache_read_input_tokens\":1920")
                .contains("\"output_tokens\":48");
        assertThat(h.translator.usage()).isEqualTo(new Usage(180, 48, 1920, 0));
        String ms = h.events().get(0).json();
        assertThat(ms)
                .contains("\"input_tokens\":100")
                .contains("\"model\":\"claude-client\"")
                .contains("\"id\":\"msg_test\"");
    }

    @Test
    void errorChunkBeforeContentLeavesContentNotStarted() {
        StreamHarness h = StreamHarness.run(
                "data: {\"error\":{\"message\":\"Rate limit reached\",\"type\":\"rate_limit_exceeded\"}}\n\n"
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(h.recorder.types()).containsExactly("error");
        assertThat(h.translator.contentStarted()).isFalse();
        assertThat(h.describe()).isEqualTo("error=rate_limit_error:Rate limit reached");
    }
}
