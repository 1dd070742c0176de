package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.anthropicproxy.sse.SseParser;
import org.anthropicproxy.testkit.AnthropicEventRecorder;
import org.anthropicproxy.testkit.AnthropicStreamGrammar;
import org.anthropicproxy.testkit.Chunkings;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.RecordingClientSink;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.content.AsyncContent;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/**
 * The non-blocking translation writes what the blocking pump writes, whatever the upstream's chunking and however
 * late the client's writes complete; it ends with an error event when the upstream fails, and reports a client that
 * left.
 */
class TranslatedStreamTest {

    private static final List<String> FIXTURES = StreamFixturesTest.upstreamFixtures();

    @Provide
    Arbitrary<Tuple.Tuple3<String, int[], Boolean>> cases() {
        return Chunkings.of(FIXTURES, 30);
    }

    @Property(tries = 600)
    void writesWhatTheBlockingPumpWrites(
            @ForAll("cases") Tuple.Tuple3<String, int[], Boolean> c, @ForAll boolean atHand) throws Exception {
        byte[] upstream = Fixtures.bytes(c.get1());
        RecordingClientSink client = new RecordingClientSink(c.get3());
        HoldingEventSink events = new HoldingEventSink(client, HttpFields.EMPTY, false);
        TranslatedStream stream = new TranslatedStream(client, events, translator(events));
        AsyncContent source = new AsyncContent();
        int[] cuts = c.get2();
        int first = cuts.length == 0 ? upstream.length : cuts[0];
        if (atHand) { // the upstream's first read already there when the stream starts, or nothing yet
            source.write(first == upstream.length, ByteBuffer.wrap(upstream, 0, first), Callback.NOOP);
        }
        var done = stream.start(source);
        Chunkings.feed(source, upstream, atHand ? first : 0, cuts, client, done);
        assertThat(done.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(client.starts).isEqualTo(1);
        assertThat(client.withHeaders)
                .as("message_start and what was at hand go out with the headers")
                .isEqualTo(
                        !atHand
                                ? blockingPrefix(new byte[0])
                                : first == upstream.length
                                        ? blocking(upstream, null)
                                        : blockingPrefix(Arrays.copyOf(upstream, first)));
        assertThat(client.text()).isEqualTo(blocking(upstream, null));
        AnthropicStreamGrammar.strict().assertValid(AnthropicEventRecorder.parseSse(client.bytes.toByteArray()));
    }

    @Test
    void anUpstreamFailureEndsWithTheErrorEventTheBlockingPumpWrites() throws Exception {
        byte[] upstream = Fixtures.bytes("openai/stream-text-include-usage.sse");
        int cut = upstream.length / 2;
        RecordingClientSink client = new RecordingClientSink(false);
        HoldingEventSink events = new HoldingEventSink(client, HttpFields.EMPTY, false);
        TranslatedStream stream = new TranslatedStream(client, events, translator(events));
        AsyncContent source = new AsyncContent();
        var done = stream.start(source);
        source.write(false, ByteBuffer.wrap(upstream, 0, cut), Callback.NOOP);
        source.fail(new EOFException());
        assertThat(done.get(5, TimeUnit.SECONDS)).isTrue();
        String expected = blocking(Arrays.copyOf(upstream, cut), "EOFException");
        assertThat(client.text()).isEqualTo(expected).contains("event: error");
        assertThat(stream.readToEnd()).isFalse();
    }

    @Test
    void aClientThatLeftEndsItFalse() throws Exception {
        RecordingClientSink client = new RecordingClientSink(false);
        client.failWrites = true;
        HoldingEventSink events = new HoldingEventSink(client, HttpFields.EMPTY, false);
        TranslatedStream stream = new TranslatedStream(client, events, translator(events));
        AsyncContent source = new AsyncContent();
        var done = stream.start(source);
        byte[] upstream = Fixtures.bytes("openai/stream-text-include-usage.sse");
        source.write(true, ByteBuffer.wrap(upstream), Callback.NOOP);
        assertThat(done.get(5, TimeUnit.SECONDS)).isFalse();
    }

    private static StreamTranslator translator(AnthropicEventSink sink) {
        return new StreamTranslator(
                sink,
                "claude-client",
                ToolNameMap.identity(),
                List.of(),
                OpenAiDialect.defaults(),
                "msg_test",
                StreamHarness.INPUT_ESTIMATE);
    }

    /** What the blocking path has written once it has read {@code upstream}, the start of a stream. */
    private static String blockingPrefix(byte[] upstream) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AnthropicEventSink sink =
                (t, j) -> out.writeBytes(("event: " + t + "\ndata: " + j + "\n\n").getBytes(StandardCharsets.UTF_8));
        StreamTranslator t = translator(sink);
        t.start();
        new SseParser(e -> t.onData(e.data())).feed(upstream, 0, upstream.length);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** What the blocking path writes for the same bytes: its events in order, then the ending it chose. */
    private static String blocking(byte[] upstream, String failure) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AnthropicEventSink sink =
                (t, j) -> out.writeBytes(("event: " + t + "\ndata: " + j + "\n\n").getBytes(StandardCharsets.UTF_8));
        StreamTranslator t = translator(sink);
        t.start();
        new SseParser(e -> t.onData(e.data())).feed(upstream, 0, upstream.length);
        if (failure == null) {
            t.onUpstreamEnd();
        } else {
            t.onUpstreamFailure(failure);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
