package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.anthropicproxy.provider.ClientSink;
import org.anthropicproxy.sse.SseParser;
import org.anthropicproxy.testkit.AnthropicEventRecorder;
import org.anthropicproxy.testkit.AnthropicStreamGrammar;
import org.anthropicproxy.testkit.Fixtures;
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
        return Arbitraries.of(FIXTURES).flatMap(f -> {
            int len = Fixtures.bytes(f).length;
            Arbitrary<int[]> splits = Arbitraries.integers().between(1, len - 1).array(int[].class).ofMaxSize(30)
                    .map(a -> Arrays.stream(a).sorted().distinct().toArray());
            return splits.flatMap(s -> Arbitraries.of(true, false).map(late -> Tuple.of(f, s, late)));
        });
    }

    @Property(tries = 600)
    void writesWhatTheBlockingPumpWrites(@ForAll("cases") Tuple.Tuple3<String, int[], Boolean> c) throws Exception {
        byte[] upstream = Fixtures.bytes(c.get1());
        RecordingClient client = new RecordingClient(c.get3());
        HoldingEventSink events = new HoldingEventSink(client, HttpFields.EMPTY, false);
        TranslatedStream stream = new TranslatedStream(client, events, translator(events));
        AsyncContent source = new AsyncContent();
        var done = stream.start(source);
        int from = 0;
        for (int at : c.get2()) {
            source.write(false, ByteBuffer.wrap(upstream, from, at - from), Callback.NOOP);
            from = at;
            client.completeWrites();
        }
        source.write(true, ByteBuffer.wrap(upstream, from, upstream.length - from), Callback.NOOP);
        while (!done.isDone()) {
            client.completeWrites();
        }
        assertThat(done.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(client.starts).isEqualTo(1);
        assertThat(client.text()).isEqualTo(blocking(upstream, null));
        AnthropicStreamGrammar.strict().assertValid(AnthropicEventRecorder.parseSse(client.bytes.toByteArray()));
    }

    @Test
    void anUpstreamFailureEndsWithTheErrorEventTheBlockingPumpWrites() throws Exception {
        byte[] upstream = Fixtures.bytes("openai/stream-text-include-usage.sse");
        int cut = upstream.length / 2;
        RecordingClient client = new RecordingClient(false);
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
        RecordingClient client = new RecordingClient(false);
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
        return new StreamTranslator(sink, "claude-client", ToolNameMap.identity(), List.of(), OpenAiDialect.defaults(),
                "msg_test", StreamHarness.INPUT_ESTIMATE);
    }

    /** What the blocking path writes for the same bytes: its events in order, then the ending it chose. */
    private static String blocking(byte[] upstream, String failure) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AnthropicEventSink sink = (t, j) -> out.writeBytes(("event: " + t + "\ndata: " + j + "\n\n").getBytes(StandardCharsets.UTF_8));
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

    /** A client whose writes complete at once, or only when the test says (a slow reader). */
    private static final class RecordingClient implements ClientSink {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final ArrayDeque<Callback> late = new ArrayDeque<>();
        final boolean completeLate;
        boolean failWrites;
        int starts;

        RecordingClient(boolean completeLate) {
            this.completeLate = completeLate;
        }

        String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        void completeWrites() {
            List<Callback> now;
            synchronized (this) {
                now = new ArrayList<>(late);
                late.clear();
            }
            now.forEach(Callback::succeeded);
        }

        private void done(Callback cb) {
            if (failWrites) {
                cb.failed(new IOException("client gone"));
            } else if (completeLate) {
                synchronized (this) {
                    late.add(cb);
                }
            } else {
                cb.succeeded();
            }
        }

        @Override
        public boolean committed() {
            return starts > 0;
        }

        @Override
        public void respond(int status, HttpFields headers, byte[] body) {
            throw new AssertionError("a stream never answers whole");
        }

        @Override
        public void respondAsync(int status, HttpFields headers, byte[] body, Callback done) {
            throw new AssertionError("a stream never answers whole");
        }

        @Override
        public void startStream(int status, HttpFields headers) {
            throw new AssertionError("blocking start on the async path");
        }

        @Override
        public void writeEvents(byte[] b, int off, int len) {
            throw new AssertionError("blocking write on the async path");
        }

        @Override
        public void startStreamAsync(int status, HttpFields headers, Callback done) {
            assertThat(bytes.size()).as("headers before any event").isZero();
            starts++;
            done(done);
        }

        @Override
        public void writeEventsAsync(byte[] b, int off, int len, Callback done) {
            assertThat(starts).as("events after the headers").isEqualTo(1);
            bytes.write(b, off, len);
            done(done);
        }

        @Override
        public void onClientGone(Runnable action) {
        }

        @Override
        public void writeEvent(String type, String json) {
            throw new AssertionError("blocking write on the async path");
        }
    }
}
