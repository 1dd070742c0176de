package org.anthropicproxy.provider.openai;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.anthropicproxy.sse.SseException;
import org.anthropicproxy.sse.SseParser;

/**
 * Feeds an upstream event stream read from a blocking {@link InputStream} to a {@link StreamTranslator}, for the
 * paths that run on a thread of their own (failover chains, a forced stream aggregated for a non-stream client). The
 * stream's end, a cut and an unparsable stream each reach the translator, which turns the last two into an
 * {@code event: error}.
 */
final class BlockingStreamPump {

    /** What runs after each read of the upstream body and once at its end: flushes, and says whether to read on. */
    @FunctionalInterface
    interface AfterRead {
        boolean flushAndGoOn();
    }

    private BlockingStreamPump() {}

    /** {@code watch} sees each event's data as text (to keep the last error chunk for classification). */
    static void pump(InputStream in, StreamTranslator t, Consumer<String> watch, AfterRead afterRead) {
        SseParser parser = new SseParser((event, data, off, len) -> {
            watch.accept(new String(data, off, len, StandardCharsets.UTF_8));
            t.onData(data, off, len);
        });
        byte[] buf = new byte[16 * 1024];
        try {
            int n;
            while (!t.finished() && (n = in.read(buf)) >= 0) {
                parser.feed(buf, 0, n);
                if (!afterRead.flushAndGoOn()) {
                    return;
                }
            }
            t.onUpstreamEnd();
        } catch (SseException e) {
            t.onUpstreamFailure("invalid event stream: " + e.getMessage());
        } catch (IOException e) {
            t.onUpstreamFailure(e.getClass().getSimpleName());
        }
        afterRead.flushAndGoOn(); // the end: whether to go on no longer matters
    }
}
