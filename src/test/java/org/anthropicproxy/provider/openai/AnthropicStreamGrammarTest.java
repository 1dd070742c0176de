package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.anthropicproxy.testkit.AnthropicEventRecorder;
import org.anthropicproxy.testkit.AnthropicEventRecorder.Event;
import org.anthropicproxy.testkit.AnthropicStreamGrammar;
import org.anthropicproxy.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AnthropicStreamGrammarTest {

    /** Real Anthropic streams that break the strict grammar, and why. */
    static final List<String> KNOWN_INVALID = List.of(
            // SDK robustness fixture: tool block never gets content_block_stop before message_delta
            "anthropic/stream-max-tokens-truncated-tool-input.sse");

    static Stream<String> anthropicFixtures() {
        return Fixtures.list("anthropic", ".sse").stream();
    }

    @ParameterizedTest
    @MethodSource("anthropicFixtures")
    void anthropicFixturesAreJudgedAsExpected(String name) {
        List<Event> events = AnthropicEventRecorder.parseSse(Fixtures.bytes(name));
        List<String> v = AnthropicStreamGrammar.lenientUsage().violations(events);
        if (KNOWN_INVALID.contains(name)) {
            assertThat(v).anyMatch(s -> s.contains("while block 1 is open"));
        } else {
            assertThat(v).as(name).isEmpty();
        }
    }

    @Test
    void strictGrammarRequiresUsage() {
        List<Event> events =
                AnthropicEventRecorder.parseSse(Fixtures.bytes("anthropic/stream-thinking-docs-no-usage.sse"));
        assertThat(AnthropicStreamGrammar.strict().violations(events)).anyMatch(s -> s.contains("usage.output_tokens"));
        assertThat(AnthropicStreamGrammar.strict()
                        .violations(AnthropicEventRecorder.parseSse(Fixtures.bytes("anthropic/stream-text.sse"))))
                .isEmpty();
    }

    @Test
    void handBrokenStreamsFail() {
        List<Event> ok =
                AnthropicEventRecorder.parseSse(Fixtures.bytes("anthropic/stream-thinking-then-parallel-tool-use.sse"));
        AnthropicStreamGrammar g = AnthropicStreamGrammar.lenientUsage();
        assertThat(g.violations(ok)).isEmpty();

        // drop the stop of the first block: the next start overlaps
        List<Event> overlapping = new ArrayList<>(ok);
        overlapping.removeIf(
                e -> e.type().equals("content_block_stop") && e.json().contains("\"index\":0"));
        assertThat(g.violations(overlapping)).isNotEmpty();

        // a delta after message_stop / missing message_stop
        List<Event> noStop = new ArrayList<>(ok);
        noStop.removeIf(e -> e.type().equals("message_stop"));
        assertThat(g.violations(noStop)).contains("stream does not end with message_stop or error");

        // thinking after text
        List<Event> late = AnthropicEventRecorder.parseSse("""
                event: message_start
                data: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"model":"x","stop_reason":null,"usage":{"input_tokens":1,"output_tokens":1}}}

                event: content_block_start
                data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

                event: content_block_stop
                data: {"type":"content_block_stop","index":0}

                event: content_block_start
                data: {"type":"content_block_start","index":1,"content_block":{"type":"thinking","thinking":""}}

                event: content_block_delta
                data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"x"}}

                event: content_block_stop
                data: {"type":"content_block_stop","index":1}

                event: message_delta
                data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}

                event: message_stop
                data: {"type":"message_stop"}

                """);
        assertThat(AnthropicStreamGrammar.strict().violations(late))
                .anyMatch(s -> s.contains("thinking block after"))
                .anyMatch(s -> s.contains("without a signature"))
                .anyMatch(s -> s.contains("text_delta in a thinking block"));
    }
}
