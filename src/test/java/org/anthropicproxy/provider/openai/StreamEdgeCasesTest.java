package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.anthropicproxy.testkit.AnthropicStreamGrammar;
import org.junit.jupiter.api.Test;

class StreamEdgeCasesTest {

    static String chunk(String deltaJson, String finish) {
        ObjectNode c = JsonNodeFactory.instance.objectNode().put("id", "c1");
        ObjectNode ch = c.putArray("choices").addObject().put("index", 0);
        try {
            ch.set("delta", new ObjectMapper().readTree(deltaJson));
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
        if (finish == null) {
            ch.putNull("finish_reason");
        } else {
            ch.put("finish_reason", finish);
        }
        return "data: " + c + "\n\n";
    }

    static String args(String fragment) {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        d.putArray("tool_calls")
                .addObject()
                .put("index", 0)
                .putObject("function")
                .put("arguments", fragment);
        return chunk(d.toString(), null);
    }

    static String callStart() {
        return chunk(
                "{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"Read\",\"arguments\":\"\"}}]}",
                null);
    }

    static StreamHarness run(List<String> stops, String... sse) {
        StreamHarness h = new StreamHarness(stops);
        h.feed(String.join("", sse).getBytes(StandardCharsets.UTF_8));
        AnthropicStreamGrammar.strict().assertValid(h.events());
        return h;
    }

    static final String CONCAT = "{\"path\":\"a.txt\"}{\"path\":\"b.txt\"}";

    @Test
    void concatenatedObjectsSplitAtEveryPositionAcrossTwoDeltas() {
        for (int i = 0; i <= CONCAT.length(); i++) {
            StreamHarness h = run(
                    List.of(),
                    callStart(),
                    args(CONCAT.substring(0, i)),
                    args(CONCAT.substring(i)),
                    chunk("{}", "tool_calls"),
                    "data: [DONE]\n\n");
            assertThat(h.describe())
                    .as("split at " + i)
                    .startsWith("tool_use:call_1:Read:{\"path\":\"a.txt\"}\nstop=tool_use/");
            long deltas = h.events().stream()
                    .filter(e -> e.json().contains("input_json_delta"))
                    .count();
            assertThat(deltas).isEqualTo(1);
        }
    }

    @Test
    void concatenatedObjectsInsideOneDeltaAndWithNesting() {
        StreamHarness h = run(List.of(), callStart(), args(CONCAT), chunk("{}", "tool_calls"));
        assertThat(h.describe()).startsWith("tool_use:call_1:Read:{\"path\":\"a.txt\"}");
        String tricky = "{\"s\":\"}{\\\"x\",\"n\":{\"a\":[1,{\"b\":2}]}} {\"again\":1}";
        h = run(List.of(), callStart(), args(tricky), chunk("{}", "tool_calls"));
        assertThat(h.describe()).startsWith("tool_use:call_1:Read:{\"s\":\"}{\\\"x\",\"n\":{\"a\":[1,{\"b\":2}]}}");
    }

    @Test
    void incompleteArgumentsWithLengthArePassedRaw() {
        StreamHarness h =
                run(List.of(), callStart(), args("{\"path\":\"a."), chunk("{}", "length"), "data: [DONE]\n\n");
        assertThat(h.events().stream()
                        .filter(e -> e.json().contains("input_json_delta"))
                        .findFirst()
                        .orElseThrow()
                        .json())
                .contains("{\\\"path\\\":\\\"a.");
        assertThat(h.acc.message().path("stop_reason").asText()).isEqualTo("max_tokens");
        assertThat(h.acc.message().path("content")).isEmpty(); // accumulator leaves out the unparseable input
        assertThat(h.acc.warnings()).hasSize(1);
    }

    @Test
    void incompleteArgumentsOtherwiseEndInAnError() {
        StreamHarness h =
                run(List.of(), callStart(), args("{\"path\":"), chunk("{}", "tool_calls"), "data: [DONE]\n\n");
        assertThat(h.recorder.types()).endsWith("error").doesNotContain("message_stop");
        assertThat(h.describe())
                .contains("error=api_error:upstream ended tool call call_1 (Read) with incomplete JSON");
        h = run(List.of(), callStart(), args("{\"path\":}"), chunk("{}", "tool_calls"));
        assertThat(h.describe()).contains("error=api_error:upstream sent invalid JSON arguments");
    }

    @Test
    void eofWithoutFinishIsAnErrorNotAFakeEnd() {
        StreamHarness h = run(List.of(), chunk("{\"content\":\"Hel\"}", null));
        assertThat(h.recorder.types())
                .containsExactly("message_start", "content_block_start", "content_block_delta", "error");
        h = run(List.of(), chunk("{\"content\":\"Hel\"}", null), "data: not json\n\n");
        assertThat(h.describe()).contains("error=api_error:upstream sent a stream chunk that is not a JSON object");
    }

    @Test
    void upstreamFailureAfterFinishIsIgnored() {
        StreamHarness h = new StreamHarness(List.of());
        h.parser.feed((chunk("{\"content\":\"Hi\"}", "stop") + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
        h.translator.onUpstreamFailure("reset");
        assertThat(h.recorder.types()).endsWith("message_stop");
        StreamHarness h2 = new StreamHarness(List.of());
        h2.parser.feed(chunk("{\"content\":\"Hi\"}", null).getBytes(StandardCharsets.UTF_8));
        h2.translator.onUpstreamFailure("connection reset");
        assertThat(h2.describe()).endsWith("error=api_error:upstream connection failed: connection reset");
    }

    @Test
    void localStopSequenceCutsTextAcrossDeltas() {
        StreamHarness h = run(
                List.of("STOP-5"),
                chunk("{\"content\":\"Hello ST\"}", null),
                chunk("{\"content\":\"OP-\"}", null),
                chunk("{\"content\":\"5 and more\"}", null),
                chunk("{}", "stop"),
                "data: [DONE]\n\n");
        assertThat(h.describe()).startsWith("text:Hello \nstop=stop_sequence/STOP-5");
        // a prefix that turns out not to be a stop string is released
        h = run(
                List.of("STOP-5"),
                chunk("{\"content\":\"a ST\"}", null),
                chunk("{\"content\":\"OP-4\"}", null),
                chunk("{}", "stop"));
        assertThat(h.describe()).startsWith("text:a STOP-4\nstop=end_turn/");
    }

    @Test
    void vllmStopReasonNamesTheSequence() {
        String fin =
                "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\",\"stop_reason\":\"</final>\"}]}\n\n";
        StreamHarness h = run(List.of("</final>"), chunk("{\"content\":\"x\"}", null), fin, "data: [DONE]\n\n");
        assertThat(h.describe()).contains("stop=stop_sequence/</final>");
    }

    @Test
    void reasoningAfterTextIsDroppedAndThinkingStaysFirst() {
        StreamHarness h = run(
                List.of(),
                chunk("{\"reasoning_content\":\"think\"}", null),
                chunk("{\"content\":\"answer\"}", null),
                chunk("{\"reasoning_content\":\"late\"}", null),
                chunk("{}", "stop"));
        assertThat(h.describe()).startsWith("thinking:think#sig=\ntext:answer\nstop=end_turn");
    }

    @Test
    void codebuddyStyleDuplicateIdsAndEmptyNamesAreOneCall() {
        String frag =
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_9\",\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":\"%s\"}}]}}]}\n\n";
        StreamHarness h = run(
                List.of(),
                frag.formatted("Bash", ""),
                frag.formatted("", "{\\\"command\\\":"),
                frag.formatted("", "\\\"ls\\\"}"),
                chunk("{}", "tool_calls"));
        assertThat(h.describe()).startsWith("tool_use:call_9:Bash:{\"command\":\"ls\"}\nstop=tool_use");
    }

    @Test
    void longToolNamesAreMappedBack() {
        ToolNameMap names = new ToolNameMap(64);
        String longName = "n".repeat(80);
        String up = names.toUpstream(longName);
        AnthropicMessageAccumulator acc = new AnthropicMessageAccumulator();
        StreamTranslator t = new StreamTranslator(acc, "m", names, List.of(), OpenAiDialect.defaults(), "msg_1", 5);
        t.onData(
                "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":{\"name\":\""
                        + up + "\",\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}]}");
        t.onData("[DONE]");
        assertThat(acc.message().path("content").get(0).path("name").asText()).isEqualTo(longName);
        assertThat(t.finished()).isTrue();
        assertThat(t.contentStarted()).isTrue();
    }
}
