package org.anthropicproxy.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.anthropicproxy.testkit.Chunkings;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.RecordingClientSink;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.content.AsyncContent;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/**
 * The relay copies the upstream's bytes unchanged whatever their chunking and however late the client's writes
 * complete; its headers go out once, with the whole events of the read at hand when the stream starts, or alone when
 * nothing is at hand yet.
 */
class StreamRelayTest {

    private static final String[] FIXTURES = {
        "anthropic/stream-text.sse",
        "anthropic/stream-thinking-then-parallel-tool-use.sse",
        "anthropic/stream-text-then-tool-use-sdk.sse",
        "anthropic/stream-error-after-message-start.sse"
    };

    @Provide
    Arbitrary<Tuple.Tuple3<String, int[], Boolean>> cases() {
        return Chunkings.of(List.of(FIXTURES), 20);
    }

    @Property(tries = 300)
    void copiesTheStreamWithWhatIsAtHandInTheHeadersWrite(
            @ForAll("cases") Tuple.Tuple3<String, int[], Boolean> c, @ForAll boolean atHand) throws Exception {
        byte[] upstream = Fixtures.bytes(c.get1());
        int[] cuts = c.get2();
        RecordingClientSink client = new RecordingClientSink(c.get3());
        AsyncContent source = new AsyncContent();
        int first = cuts.length == 0 ? upstream.length : cuts[0];
        if (atHand) { // the upstream's first read already there when the relay starts, or nothing yet
            source.write(first == upstream.length, ByteBuffer.wrap(upstream, 0, first), Callback.NOOP);
        }
        var done = new StreamRelay(client, HttpFields.EMPTY, false).start(source);
        Chunkings.feed(source, upstream, atHand ? first : 0, cuts, client, done);
        done.get(5, TimeUnit.SECONDS);
        assertThat(client.starts).isEqualTo(1);
        String sent = new String(upstream, StandardCharsets.UTF_8);
        assertThat(client.text())
                .as("byte for byte; a last event without its blank line gets one")
                .isEqualTo(sent.endsWith("\n\n") ? sent : sent + "\n\n");
        String firstRead = atHand ? new String(upstream, 0, first, StandardCharsets.UTF_8) : "";
        int lastEventEnd = firstRead.lastIndexOf("\n\n");
        assertThat(client.withHeaders)
                .as("the whole events at hand when the relay started")
                .isEqualTo(lastEventEnd < 0 ? "" : firstRead.substring(0, lastEventEnd + 2));
    }

    @Test
    void theHeadersDoNotWaitForTheFirstEvent() throws Exception {
        RecordingClientSink client = new RecordingClientSink(false);
        AsyncContent source = new AsyncContent();
        var done = new StreamRelay(client, HttpFields.EMPTY, false).start(source);
        assertThat(client.starts).as("headers sent with nothing read").isEqualTo(1);
        assertThat(client.withHeaders).isEmpty();
        byte[] upstream = Fixtures.bytes("anthropic/stream-text.sse");
        source.write(true, ByteBuffer.wrap(upstream), Callback.NOOP);
        assertThat(done.get(5, TimeUnit.SECONDS)).isEqualTo(StreamRelay.Result.COMPLETED);
        assertThat(client.text()).isEqualTo(new String(upstream, StandardCharsets.UTF_8));
    }
}
