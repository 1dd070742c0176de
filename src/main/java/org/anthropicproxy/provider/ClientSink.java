package org.anthropicproxy.provider;

import java.io.IOException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.util.Callback;

/**
 * Where a provider writes its answer to the client. Nothing reaches the client before {@link #respond} or
 * {@link #startStream}; until then a provider may still give up and let the chain try the next one.
 * Every write is flushed: streams are never buffered whole.
 */
public interface ClientSink {

    /** The first bytes of a stream that starts with none. */
    byte[] NO_BYTES = {};

    boolean committed();

    /**
     * A complete, non-streaming response; written by the time it returns on a virtual thread, only queued on an I/O
     * thread (the request's end waits for it), which must never wait for a client.
     */
    void respond(int status, HttpFields headers, byte[] body) throws IOException;

    /** {@link #respond} without waiting: {@code done} is told once the response is written (or could not be). */
    void respondAsync(int status, HttpFields headers, byte[] body, Callback done);

    /** Commits status and headers of an event stream. */
    void startStream(int status, HttpFields headers) throws IOException;

    /** Writes bytes that end on an SSE event boundary, and flushes them. */
    void writeEvents(byte[] bytes, int off, int len) throws IOException;

    /**
     * {@link #startStream} without waiting: {@code done} is told once the headers are out (or could not be sent).
     * For relays that run on the upstream's I/O thread, which must never block on a slow client.
     */
    default void startStreamAsync(int status, HttpFields headers, Callback done) {
        startStreamAsync(status, headers, NO_BYTES, 0, 0, done);
    }

    /**
     * {@link #startStreamAsync(int, HttpFields, Callback)} with the stream's first bytes (ending on an event boundary)
     * in the same write: a stream whose first events are at hand when it starts costs one write, not two.
     */
    void startStreamAsync(int status, HttpFields headers, byte[] bytes, int off, int len, Callback done);

    /**
     * {@link #writeEvents} without waiting: {@code done} is told once the bytes are written; until then the caller
     * leaves them untouched. Writes keep the order they were asked in.
     */
    void writeEventsAsync(byte[] bytes, int off, int len, Callback done);

    /**
     * Registers what to do when the client disconnects while the provider is blocked reading its upstream (cancel
     * the upstream request), so a vanished client frees the upstream at once rather than at the next write.
     */
    void onClientGone(Runnable action);

    /** Writes one event built by the proxy ({@code event: type\ndata: json\n\n}) and flushes it. */
    void writeEvent(String type, String json) throws IOException;
}
