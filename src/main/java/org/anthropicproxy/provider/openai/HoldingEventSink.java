package org.anthropicproxy.provider.openai;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.anthropicproxy.provider.ClientSink;
import org.eclipse.jetty.http.HttpFields;

/**
 * Collects translated events and writes them to the client once per upstream read (events made from one upstream
 * chunk leave together, each flush carries whole events). With {@code hold}, nothing is written before the first
 * content block: an {@code error} before it stays invisible so the request can move to another provider.
 */
final class HoldingEventSink implements AnthropicEventSink {

    private final ClientSink client;
    private final HttpFields headers;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream(4096);
    private boolean holding;
    private boolean started;
    private boolean contentSeen;
    private String errorBeforeContent;
    private String error;
    private boolean clientGone;

    HoldingEventSink(ClientSink client, HttpFields headers, boolean hold) {
        this.client = client;
        this.headers = headers;
        this.holding = hold;
    }

    @Override
    public void event(String type, String json) {
        if (clientGone) {
            return;
        }
        if (type.equals("content_block_start")) {
            contentSeen = true;
        }
        if (type.equals("error")) {
            error = json;
            if (!contentSeen) {
                errorBeforeContent = json;
            }
        }
        byte[] b = ("event: " + type + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
        pending.write(b, 0, b.length);
    }

    /** Writes what is pending, unless still holding; false once the client is gone. */
    boolean flush() {
        if (clientGone) {
            return false;
        }
        if (holding) {
            if (errorBeforeContent != null || !contentSeen) {
                return true;
            }
            holding = false;
        }
        if (pending.size() == 0 && started) {
            return true;
        }
        try {
            if (!started) {
                client.startStream(200, headers);
                started = true;
            }
            if (pending.size() > 0) {
                byte[] b = pending.toByteArray();
                pending.reset();
                client.writeEvents(b, 0, b.length);
            }
            return true;
        } catch (IOException e) {
            clientGone = true;
            return false;
        }
    }

    /** True when the stream failed before any content and nothing reached the client. */
    boolean failedInvisibly() {
        return holding && errorBeforeContent != null;
    }

    /** Gives up holding (no other provider will take the request): everything pending goes out. */
    boolean release() {
        holding = false;
        return flush();
    }

    String errorBeforeContent() {
        return errorBeforeContent;
    }

    /** The error event that ended the stream, before or after content; null when it ended normally. */
    String error() {
        return error;
    }

    boolean clientGone() {
        return clientGone;
    }

    byte[] pendingBytes() {
        return pending.toByteArray();
    }

    /** What was collected since the last call, for a writer of its own (a sink that does not hold). */
    byte[] takePending() {
        byte[] b = pending.toByteArray();
        pending.reset();
        return b;
    }
}
