package org.anthropicproxy.provider.anthropic;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.anthropicproxy.json.ErrorBody;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.provider.ClientSink;
import org.anthropicproxy.provider.UpstreamPump;
import org.anthropicproxy.provider.Usage;
import org.anthropicproxy.sse.SseEvent;
import org.anthropicproxy.sse.SseException;
import org.anthropicproxy.sse.SseParser;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;

/**
 * Copies an Anthropic event stream from upstream to client byte for byte, whole events at a time, flushing after
 * each read. It watches the events it copies (never rewriting them) to learn the usage, whether content began and
 * whether the stream ended properly.
 *
 * <p>It runs on the threads that deliver the upstream's bytes and complete the client's writes, never blocking:
 * each upstream read is written to the client, and the next read is asked for once that write is done, so a slow
 * client slows the upstream instead of filling memory. The requesting thread only waits for the {@link Result}.
 *
 * <p>With {@code hold}, nothing is written until the first content event: an {@code error} event before it ends the
 * relay as {@link Result#FAILED_BEFORE_CONTENT} with nothing sent, so another provider can take the request.
 */
final class StreamRelay extends UpstreamPump<StreamRelay.Result> {

    enum Result {
        COMPLETED,
        FAILED_BEFORE_CONTENT,
        UPSTREAM_ERROR_EVENT,
        UPSTREAM_CUT,
        CLIENT_GONE
    }

    private static final byte[] TERMINATOR = {'\n', '\n'};

    private final ClientSink client;
    private final HttpFields responseHeaders;
    private final SseParser parser = new SseParser(this::observe);
    private boolean holding;
    private boolean started;
    private boolean
            headersOwed; // started, and the headers go out with the next write (or alone, if no bytes are at hand)
    private boolean upstreamEnded;
    private Result result; // decided; the relay ends once its last write (if any) is done

    // received, not yet forwarded: at most one partial event when streaming; small, as a thousand streams each hold
    // one (it grows for a large event)
    private byte[] pending = new byte[4 * 1024];
    private int pendingLen;
    private long pendingStart; // absolute stream offset of pending[0]
    private int inFlight; // bytes of pending being written to the client
    private boolean contentStarted;
    private boolean messageStopped;

    private String errorJson;
    private boolean capturing; // completeFinalEvent wants the data of the event its terminator ends
    private String captured;
    private long input, output, cacheRead, cacheWrite;

    StreamRelay(ClientSink client, HttpFields responseHeaders, boolean hold) {
        this.client = client;
        this.responseHeaders = responseHeaders;
        this.holding = hold;
    }

    @Override
    protected Action process() {
        if (inFlight > 0) {
            // the write of the first inFlight pending bytes is done
            System.arraycopy(pending, inFlight, pending, 0, pendingLen - inFlight);
            pendingLen -= inFlight;
            pendingStart += inFlight;
            inFlight = 0;
        }
        if (result != null) {
            return Action.SUCCEEDED;
        }
        if (!holding && !started) {
            started = true;
            headersOwed = true; // with the events already read, usually message_start: one write instead of two
        }
        while (true) {
            if (forwardRest() == Action.SCHEDULED) {
                return Action.SCHEDULED;
            }
            if (errorJson != null && !holding) {
                return end(Result.UPSTREAM_ERROR_EVENT);
            }
            if (upstreamEnded) {
                return atUpstreamEnd();
            }
            Content.Chunk chunk = upstream.read();
            if (chunk == null) {
                if (headersOwed) { // nothing at hand: the headers do not wait for the first event
                    return write(pending, 0);
                }
                upstream.demand(readMore);
                return Action.IDLE;
            }
            if (Content.Chunk.isFailure(chunk)) {
                return cut("upstream connection failed mid-stream: "
                        + chunk.getFailure().getClass().getSimpleName());
            }
            upstreamEnded = chunk.isLast();
            ByteBuffer bytes = chunk.getByteBuffer();
            int n = bytes.remaining();
            int at = pendingLen;
            if (n > 0) {
                room(n);
                bytes.get(pending, at, n);
                pendingLen += n;
            }
            chunk.release();
            if (n > 0) {
                try {
                    parser.feed(pending, at, n);
                } catch (SseException e) {
                    return cut("upstream sent an invalid event stream: " + e.getMessage());
                }
            }
            if (holding) {
                if (errorJson != null && !contentStarted) {
                    return end(Result.FAILED_BEFORE_CONTENT);
                }
                if (contentStarted) {
                    stopHolding();
                }
            }
        }
    }

    private Action atUpstreamEnd() {
        if (parser.hasPartialEvent()) {
            if (!completeFinalEvent()) {
                return cut("upstream stream ended inside an event");
            }
            return Action.SCHEDULED == forwardRest() ? Action.SCHEDULED : atUpstreamEnd();
        }
        if (holding) {
            if (errorJson != null) {
                return end(Result.FAILED_BEFORE_CONTENT);
            }
            stopHolding();
            if (forwardRest() == Action.SCHEDULED) {
                return Action.SCHEDULED;
            }
        }
        if (!messageStopped) {
            return cut("upstream stream ended before message_stop");
        }
        return end(Result.COMPLETED);
    }

    /** Held back until now: the stream's headers are sent; the bytes that follow queue behind them. */
    private void stopHolding() {
        holding = false;
        started = true;
        client.startStreamAsync(200, responseHeaders, Callback.NOOP);
    }

    /** Writes what is forwardable now; SCHEDULED if a write started (process comes back here afterwards). */
    private Action forwardRest() {
        if (holding || forwardable() == 0) {
            return Action.IDLE;
        }
        inFlight = forwardable();
        return write(pending, inFlight);
    }

    /** Writes {@code bytes[0, len)}, with the headers if they are owed. */
    private Action write(byte[] bytes, int len) {
        if (headersOwed) {
            headersOwed = false;
            client.startStreamAsync(200, responseHeaders, bytes, 0, len, this);
        } else {
            client.writeEventsAsync(bytes, 0, len, this);
        }
        return Action.SCHEDULED;
    }

    private int forwardable() {
        return (int) (parser.boundary() - pendingStart);
    }

    private Action end(Result r) {
        result = r;
        return Action.SUCCEEDED;
    }

    /** Tells the client the stream broke (an {@code error} event), then ends as UPSTREAM_CUT. */
    private Action cut(String why) {
        errorJson = ErrorBody.json("api_error", why);
        result = Result.UPSTREAM_CUT;
        if (holding) {
            stopHolding();
        }
        byte[] event = ("event: error\ndata: " + errorJson + "\n\n").getBytes(StandardCharsets.UTF_8);
        return write(event, event.length);
    }

    @Override
    protected void onCompleteSuccess() {
        done.complete(result);
    }

    @Override
    protected void onCompleteFailure(Throwable clientWriteFailed) {
        done.complete(Result.CLIENT_GONE);
    }

    /**
     * Some upstreams end the body right after the last event's data line, without the blank line. If what is left
     * is a whole JSON event, terminate it for the client instead of calling the stream cut.
     */
    private boolean completeFinalEvent() {
        capturing = true;
        captured = null;
        parser.feed(TERMINATOR, 0, TERMINATOR.length);
        capturing = false;
        if (captured == null || !isJson(captured)) {
            return false;
        }
        room(TERMINATOR.length);
        System.arraycopy(TERMINATOR, 0, pending, pendingLen, TERMINATOR.length);
        pendingLen += TERMINATOR.length;
        return true;
    }

    private static boolean isJson(String data) {
        try {
            Json.MAPPER.readTree(data);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The held bytes, for a replay when no other provider takes the request. */
    byte[] heldBytes() {
        return Arrays.copyOf(pending, pendingLen);
    }

    String errorJson() {
        return errorJson;
    }

    Usage usage() {
        return new Usage(input, output, cacheRead, cacheWrite);
    }

    private void room(int n) {
        if (pendingLen + n > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLen + n));
        }
    }

    /** Reads what the relay acts on; the data of the many content events is never decoded. */
    private void observe(String event, byte[] data, int off, int len) {
        if (capturing) {
            captured = text(data, off, len);
        }
        switch (SseEvent.name(event)) {
            case "content_block_start", "content_block_delta" -> contentStarted = true;
            case "message_start" -> readUsage(text(data, off, len), true);
            case "message_delta" -> readUsage(text(data, off, len), false);
            case "message_stop" -> messageStopped = true;
            case "error" -> errorJson = text(data, off, len);
            default -> {
                // ping and unknown event types pass through untouched
            }
        }
    }

    private static String text(byte[] data, int off, int len) {
        return new String(data, off, len, StandardCharsets.UTF_8);
    }

    /** Takes the figures a message_start or message_delta carries; an unreadable one only costs a log figure. */
    private void readUsage(String data, boolean start) {
        long[] f = UsageJson.event(data, start, new long[] {input, output, cacheRead, cacheWrite});
        if (f != null) {
            input = f[0];
            output = f[1];
            cacheRead = f[2];
            cacheWrite = f[3];
        }
    }
}
