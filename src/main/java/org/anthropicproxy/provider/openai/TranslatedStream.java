package org.anthropicproxy.provider.openai;

import java.nio.ByteBuffer;
import org.anthropicproxy.provider.ClientSink;
import org.anthropicproxy.provider.UpstreamPump;
import org.anthropicproxy.sse.SseException;
import org.anthropicproxy.sse.SseParser;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Translates an OpenAI event stream to the client without blocking, for a stream no other provider waits to take
 * over (nothing is held): each upstream read is translated and its events written in one go; the first write
 * carries the headers, message_start and the upstream's first read if it had already arrived. It ends true when the
 * stream ended (well or with an error event), false when the client left. What the translator makes of the stream
 * (its ending, an error event) is exactly what the blocking pump makes of it.
 */
final class TranslatedStream extends UpstreamPump<Boolean> {

    private static final Logger LOG = LoggerFactory.getLogger(TranslatedStream.class);

    private final ClientSink client;
    private final HoldingEventSink events;
    private final StreamTranslator translator;
    private final SseParser parser;
    private boolean started;
    private boolean ended;
    private boolean writing;
    private boolean readToEnd;

    /** {@code events} must not hold: it only collects what one read makes, for one write. */
    TranslatedStream(ClientSink client, HoldingEventSink events, StreamTranslator translator) {
        this.client = client;
        this.events = events;
        this.translator = translator;
        this.parser = new SseParser((event, data, off, len) -> translator.onData(data, off, len));
    }

    @Override
    protected Action process() {
        writing = false;
        if (!started) {
            started = true;
            translator.start();
            // one read the upstream already sent goes out with the headers and message_start, in one write; only
            // one, as a fast upstream always has more at hand and the client's backpressure starts with that write
            translateNext();
            byte[] first = events.takePending();
            writing = true;
            client.startStreamAsync(200, HttpFields.EMPTY, first, 0, first.length, this);
            return Action.SCHEDULED;
        }
        while (true) {
            byte[] out = events.takePending();
            if (out.length > 0) {
                writing = true;
                client.writeEventsAsync(out, 0, out.length, this);
                return Action.SCHEDULED;
            }
            if (ended) {
                return Action.SUCCEEDED;
            }
            if (translator.finished()) {
                translator.onUpstreamEnd();
                skipAvailable();
                ended = true;
                continue;
            }
            if (!translateNext()) {
                upstream.demand(readMore);
                return Action.IDLE;
            }
        }
    }

    /** Reads and translates one chunk the upstream already sent; false when none is at hand. */
    private boolean translateNext() {
        Content.Chunk chunk = upstream.read();
        if (chunk == null) {
            return false;
        }
        if (Content.Chunk.isFailure(chunk)) {
            translator.onUpstreamFailure(chunk.getFailure().getClass().getSimpleName());
            ended = true;
            return true;
        }
        ByteBuffer bytes = chunk.getByteBuffer();
        try {
            if (bytes.hasRemaining()) {
                parser.feed(bytes);
            }
            if (chunk.isLast()) {
                readToEnd = true;
                translator.onUpstreamEnd();
                ended = true;
            }
        } catch (SseException e) {
            translator.onUpstreamFailure("invalid event stream: " + e.getMessage());
            ended = true;
        } finally {
            chunk.release();
        }
        return true;
    }

    /**
     * After the translator's end ({@code [DONE]}), what the upstream already sent: usually just the end of its body, so
     * the connection can serve another request instead of being aborted.
     */
    private void skipAvailable() {
        while (true) {
            Content.Chunk chunk = upstream.read();
            if (chunk == null || Content.Chunk.isFailure(chunk)) {
                return;
            }
            boolean last = chunk.isLast();
            chunk.release();
            if (last) {
                readToEnd = true;
                return;
            }
        }
    }

    /** Whether the upstream's body was read to its end; otherwise its connection is not worth reusing. */
    boolean readToEnd() {
        return readToEnd;
    }

    @Override
    protected void onCompleteSuccess() {
        done.complete(true);
    }

    @Override
    protected void onCompleteFailure(Throwable failure) {
        if (!writing) {
            LOG.error("translating the upstream stream failed inside the proxy", failure);
        }
        done.complete(false);
    }
}
