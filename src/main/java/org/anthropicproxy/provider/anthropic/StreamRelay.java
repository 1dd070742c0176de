package org.anthropicproxy.provider.anthropic;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.anthropicproxy.json.ErrorBody;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.provider.ClientSink;
import org.anthropicproxy.provider.Usage;
import org.anthropicproxy.sse.SseEvent;
import org.anthropicproxy.sse.SseException;
import org.anthropicproxy.sse.SseParser;
import org.eclipse.jetty.http.HttpFields;

/**
 * Copies an Anthropic event stream from upstream to client byte for byte, whole events at a time, flushing after
 * each read. It watches the events it copies (never rewriting them) to learn the usage, whether content began and
 * whether the stream ended properly.
 *
 * <p>With {@code hold}, nothing is written until the first content event: an {@code error} event before it ends the
 * relay as {@link Result#FAILED_BEFORE_CONTENT} with nothing sent, so another provider can take the request.
 */
final class StreamRelay {

    enum Result { COMPLETED, FAILED_BEFORE_CONTENT, UPSTREAM_ERROR_EVENT, UPSTREAM_CUT, CLIENT_GONE }

    private final ClientSink client;
    private final HttpFields responseHeaders;
    private boolean holding;

    // received, not yet forwarded: at most one partial event when streaming; small, as a thousand streams each hold
    // one (it grows for a large event)
    private byte[] pending = new byte[4 * 1024];
    private int pendingLen;
    private long pendingStart;        // absolute stream offset of pending[0]
    private boolean contentStarted;
    private boolean messageStopped;
    private static final byte[] TERMINATOR = {'\n', '\n'};

    private String errorJson;
    private String lastData;
    private long input, output, cacheRead, cacheWrite;

    StreamRelay(ClientSink client, HttpFields responseHeaders, boolean hold) {
        this.client = client;
        this.responseHeaders = responseHeaders;
        this.holding = hold;
    }

    Result relay(InputStream upstream) {
        SseParser parser = new SseParser(this::observe);
        byte[] buf = new byte[8 * 1024];
        try {
            if (!holding) {
                client.startStream(200, responseHeaders);
            }
            while (true) {
                int n;
                try {
                    n = upstream.read(buf);
                } catch (IOException e) {
                    return cut("upstream connection failed mid-stream: " + e.getClass().getSimpleName());
                }
                if (n < 0) {
                    break;
                }
                append(buf, n);
                try {
                    parser.feed(buf, 0, n);
                } catch (SseException e) {
                    return cut("upstream sent an invalid event stream: " + e.getMessage());
                }
                if (holding) {
                    if (errorJson != null && !contentStarted) {
                        return Result.FAILED_BEFORE_CONTENT;
                    }
                    if (contentStarted) {
                        holding = false;
                        client.startStream(200, responseHeaders);
                    }
                }
                if (!holding) {
                    forwardThrough(parser.boundary());
                }
                if (errorJson != null && !holding) {
                    return Result.UPSTREAM_ERROR_EVENT;
                }
            }
            if (parser.hasPartialEvent()) {
                if (!completeFinalEvent(parser)) {
                    return cut("upstream stream ended inside an event");
                }
                if (!holding) {
                    forwardThrough(parser.boundary());
                }
            }
            if (holding) {
                if (errorJson != null) {
                    return Result.FAILED_BEFORE_CONTENT;
                }
                holding = false;
                client.startStream(200, responseHeaders);
                forwardThrough(parser.boundary());
            }
            if (!messageStopped) {
                return cut("upstream stream ended before message_stop");
            }
            return Result.COMPLETED;
        } catch (IOException clientWriteFailed) {
            return Result.CLIENT_GONE;
        }
    }

    /**
     * Some upstreams end the body right after the last event's data line, without the blank line. If what is left
     * is a whole JSON event, terminate it for the client instead of calling the stream cut.
     */
    private boolean completeFinalEvent(SseParser parser) {
        lastData = null;
        parser.feed(TERMINATOR, 0, TERMINATOR.length);
        if (lastData == null || !isJson(lastData)) {
            return false;
        }
        append(TERMINATOR, TERMINATOR.length);
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

    boolean contentStarted() {
        return contentStarted;
    }

    Usage usage() {
        return new Usage(input, output, cacheRead, cacheWrite);
    }

    private Result cut(String why) {
        try {
            if (holding) {
                holding = false;
                client.startStream(200, responseHeaders);
            }
            client.writeEvent("error", ErrorBody.json("api_error", why));
            errorJson = ErrorBody.json("api_error", why);
            return Result.UPSTREAM_CUT;
        } catch (IOException e) {
            return Result.CLIENT_GONE;
        }
    }

    private void forwardThrough(long boundary) throws IOException {
        int len = (int) (boundary - pendingStart);
        if (len <= 0) {
            return;
        }
        client.writeEvents(pending, 0, len);
        System.arraycopy(pending, len, pending, 0, pendingLen - len);
        pendingLen -= len;
        pendingStart = boundary;
    }

    private void append(byte[] buf, int n) {
        if (pendingLen + n > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLen + n));
        }
        System.arraycopy(buf, 0, pending, pendingLen, n);
        pendingLen += n;
    }

    private void observe(SseEvent e) {
        lastData = e.data();
        switch (e.name()) {
            case "content_block_start", "content_block_delta" -> contentStarted = true;
            case "message_start" -> readUsage(e.data(), true);
            case "message_delta" -> readUsage(e.data(), false);
            case "message_stop" -> messageStopped = true;
            case "error" -> errorJson = e.data();
            default -> {
                // ping and unknown event types pass through untouched
            }
        }
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
