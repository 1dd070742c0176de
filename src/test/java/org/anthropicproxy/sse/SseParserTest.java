package org.anthropicproxy.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class SseParserTest {

    private static final String STREAM = """
            event: message_start
            data: {"type":"message_start","message":{"content":[]}}

            : keep-alive comment

            event: content_block_delta
            data: {"type":"content_block_delta","delta":{"text":"héllo ✓ 日本"}}

            data: first
            data: second

            event: ping
            data: {"type": "ping"}

            """;

    private static List<SseEvent> parseWhole(String text) {
        List<SseEvent> out = new ArrayList<>();
        SseParser p = new SseParser(out::add);
        p.feed(text.getBytes(StandardCharsets.UTF_8));
        return out;
    }

    @Test
    void parsesEventsNamesDataAndSkipsComments() {
        List<SseEvent> events = parseWhole(STREAM);
        assertThat(events)
                .extracting(SseEvent::name)
                .containsExactly("message_start", "content_block_delta", "message", "ping");
        assertThat(events.get(1).data()).contains("héllo ✓ 日本");
        assertThat(events.get(2).data()).isEqualTo("first\nsecond");
    }

    @Test
    void acceptsCrLfAndBareCrLineEnds() {
        String crlf = STREAM.replace("\n", "\r\n");
        String cr = STREAM.replace("\n", "\r");
        assertThat(parseWhole(crlf)).isEqualTo(parseWhole(STREAM));
        assertThat(parseWhole(cr)).isEqualTo(parseWhole(STREAM));
    }

    @Test
    void unterminatedEventIsReportedAsPartialNotDispatched() {
        List<SseEvent> out = new ArrayList<>();
        SseParser p = new SseParser(out::add);
        p.feed("event: a\ndata: 1\n\nevent: b\ndata: {\"trunc".getBytes(StandardCharsets.UTF_8));
        assertThat(out).hasSize(1);
        assertThat(p.hasPartialEvent()).isTrue();
    }

    @Test
    void boundaryMarksTheEndOfTheLastCompleteEvent() {
        SseParser p = new SseParser(e -> {});
        byte[] first = "event: a\ndata: 1\n\n".getBytes(StandardCharsets.UTF_8);
        p.feed(first);
        p.feed("event: b\nda".getBytes(StandardCharsets.UTF_8));
        assertThat(p.boundary()).isEqualTo(first.length);
        p.feed("ta: 2\n\n".getBytes(StandardCharsets.UTF_8));
        assertThat(p.boundary()).isEqualTo(first.length + "event: b\ndata: 2\n\n".length());
    }

    @Test
    void oversizedEventFailsInsteadOfBufferingForever() {
        SseParser p = new SseParser(e -> {}, 1024);
        byte[] chunk = ("data: " + "x".repeat(2000)).getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> p.feed(chunk)).isInstanceOf(SseException.class);
    }

    @Test
    void rawListenerGetsTheDataBytesTheDecodedEventsAreMadeOf() {
        List<SseEvent> raw = new ArrayList<>();
        SseParser p = new SseParser((event, data, off, len) ->
                raw.add(new SseEvent(event, new String(data, off, len, StandardCharsets.UTF_8))));
        p.feed(STREAM.getBytes(StandardCharsets.UTF_8));
        assertThat(raw).isEqualTo(parseWhole(STREAM));
        assertThat(raw.get(2).data()).isEqualTo("first\nsecond");
    }

    @Test
    void aByteBufferIsFedLikeTheArrayItHoldsAndConsumed() {
        byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
        List<SseEvent> out = new ArrayList<>();
        SseParser p = new SseParser(out::add);
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length);
        direct.put(bytes).flip();
        int half = bytes.length / 2;
        p.feed(direct.slice(0, half));
        ByteBuffer rest = direct.slice(half, bytes.length - half);
        p.feed(rest);
        assertThat(rest.hasRemaining()).isFalse();
        assertThat(out).isEqualTo(parseWhole(STREAM));
    }

    @Test
    void fieldsAreMatchedWholeAndDataWithoutAValueIsEmpty() {
        List<SseEvent> out = parseWhole("dat: x\ndatas: y\neventx: z\ndata\n\nevent: e\ndata:\ndata: b\n\n");
        assertThat(out).containsExactly(new SseEvent(null, ""), new SseEvent("e", "\nb"));
    }

    @Property(tries = 500)
    void anySplitOfTheBytesYieldsTheSameEvents(
            @ForAll @Size(max = 12) List<@IntRange(min = 0, max = 400) Integer> cuts, @ForAll boolean crlf) {
        String text = crlf ? STREAM.replace("\n", "\r\n") : STREAM;
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        List<SseEvent> out = new ArrayList<>();
        SseParser p = new SseParser(out::add);
        int pos = 0;
        for (int cut :
                cuts.stream().map(c -> Math.min(c, bytes.length)).sorted().toList()) {
            p.feed(bytes, pos, cut - pos);
            pos = cut;
        }
        p.feed(bytes, pos, bytes.length - pos);
        assertThat(out).isEqualTo(parseWhole(STREAM));
        assertThat(p.hasPartialEvent()).isFalse();
    }
}
