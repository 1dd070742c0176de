package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.anthropicproxy.sse.SseParser;
import org.anthropicproxy.testkit.AnthropicEventRecorder;

/** Feeds upstream SSE bytes through SseParser → StreamTranslator and collects events + the accumulated message. */
final class StreamHarness {

    static final int INPUT_ESTIMATE = 100;

    final AnthropicEventRecorder recorder = new AnthropicEventRecorder();
    final AnthropicMessageAccumulator acc = new AnthropicMessageAccumulator();
    final StreamTranslator translator;
    final SseParser parser;

    StreamHarness(List<String> stops) {
        AnthropicEventSink both = (t, j) -> {
            recorder.event(t, j);
            acc.event(t, j);
        };
        translator = new StreamTranslator(
                both,
                "claude-client",
                ToolNameMap.identity(),
                stops,
                OpenAiDialect.defaults(),
                "msg_test",
                INPUT_ESTIMATE);
        parser = new SseParser(ev -> translator.onData(ev.data()));
    }

    static StreamHarness run(byte[] body, int... splits) {
        StreamHarness h = new StreamHarness(List.of());
        h.feed(body, splits);
        return h;
    }

    void feed(byte[] body, int... splits) {
        int prev = 0;
        for (int s : splits) {
            if (s > prev && s < body.length) {
                parser.feed(body, prev, s - prev);
                prev = s;
            }
        }
        parser.feed(body, prev, body.length - prev);
        translator.onUpstreamEnd();
    }

    List<AnthropicEventRecorder.Event> events() {
        return recorder.events();
    }

    /** A compact description of the final message (blocks, stop, usage) or of the error. */
    String describe() {
        List<String> parts = new ArrayList<>();
        if (recorder.types().contains("message_start")) {
            ObjectNode m = acc.message();
            for (JsonNode b : m.path("content")) {
                parts.add(
                        switch (b.path("type").asText()) {
                            case "thinking" ->
                                "thinking:" + b.path("thinking").asText() + "#sig="
                                        + b.path("signature").asText();
                            case "text" -> "text:" + b.path("text").asText();
                            case "tool_use" ->
                                "tool_use:" + b.path("id").asText() + ":"
                                        + b.path("name").asText() + ":" + b.path("input");
                            default -> b.toString();
                        });
            }
            if (acc.complete()) {
                JsonNode u = m.path("usage");
                parts.add("stop=" + m.path("stop_reason").asText() + "/"
                        + m.path("stop_sequence").asText());
                parts.add("usage=" + u.path("input_tokens").asLong() + ","
                        + u.path("output_tokens").asLong() + ","
                        + u.path("cache_read_input_tokens").asLong() + ","
                        + u.path("cache_creation_input_tokens").asLong());
            }
        }
        acc.error()
                .ifPresent(
                        e -> parts.add("error=" + e.path("error").path("type").asText() + ":"
                                + e.path("error").path("message").asText()));
        return String.join("\n", parts);
    }
}
