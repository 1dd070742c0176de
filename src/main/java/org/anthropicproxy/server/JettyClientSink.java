package org.anthropicproxy.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import org.anthropicproxy.provider.ClientSink;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * Writes to a Jetty response, one flush per write, blocking or not. All writes, the provider's and the pinger's,
 * go through one {@link SerialWrites}, so they never overlap and keep their order.
 */
final class JettyClientSink implements ClientSink {

    private static final byte[] PING = "event: ping\ndata: {\"type\": \"ping\"}\n\n".getBytes(StandardCharsets.UTF_8);

    private final Response response;
    private final SerialWrites writes;
    private volatile boolean committed;
    private volatile boolean streaming;
    private volatile boolean failed;
    private volatile long lastWriteNanos;
    private volatile long firstByteNanos;
    private int status;
    private volatile Runnable onClientGone;
    private volatile BooleanSupplier keepAlive = () -> true;

    JettyClientSink(Response response) {
        this.response = response;
        this.writes = new SerialWrites(response);
    }

    /**
     * Asked once, just before the answer's headers go out: false when the request's body was left unread, so the
     * connection will be closed after the answer and the answer must say so. A client that pooled the connection
     * would otherwise send its next request into a closed socket ("header parser received no bytes").
     */
    void keepAliveIf(BooleanSupplier condition) {
        this.keepAlive = condition;
    }

    @Override
    public boolean committed() {
        return committed;
    }

    boolean streaming() {
        return streaming;
    }

    int status() {
        return status;
    }

    long firstByteNanos() {
        return firstByteNanos;
    }

    /**
     * Blocks until written on a virtual thread. On an I/O thread (a request served there) the answer is only queued:
     * waiting there for a client that does not read would stall every connection of the selector, and the request's
     * end ({@link #finish}) waits for the write anyway.
     */
    @Override
    public void respond(int status, HttpFields headers, byte[] body) throws IOException {
        begin(status, headers);
        response.getHeaders().put("content-length", Long.toString(body.length));
        if (Thread.currentThread().isVirtual()) {
            write(true, ByteBuffer.wrap(body));
        } else {
            writeAsync(true, ByteBuffer.wrap(body), Callback.NOOP);
        }
    }

    @Override
    public void respondAsync(int status, HttpFields headers, byte[] body, Callback done) {
        begin(status, headers);
        response.getHeaders().put("content-length", Long.toString(body.length));
        writeAsync(true, ByteBuffer.wrap(body), done);
    }

    @Override
    public void startStream(int status, HttpFields headers) throws IOException {
        beginStream(status, headers);
        write(false, BufferUtil.EMPTY_BUFFER);
    }

    @Override
    public void startStreamAsync(int status, HttpFields headers, byte[] bytes, int off, int len, Callback done) {
        beginStream(status, headers);
        writeAsync(false, len == 0 ? BufferUtil.EMPTY_BUFFER : ByteBuffer.wrap(bytes, off, len), done);
    }

    private void beginStream(int status, HttpFields headers) {
        begin(status, headers);
        HttpFields.Mutable h = response.getHeaders();
        h.put("content-type", "text/event-stream; charset=utf-8");
        h.put("cache-control", "no-cache");
        h.put("x-accel-buffering", "no");
        h.remove("content-length");
        streaming = true;
    }

    @Override
    public void writeEvents(byte[] bytes, int off, int len) throws IOException {
        write(false, ByteBuffer.wrap(bytes, off, len));
    }

    @Override
    public void writeEventsAsync(byte[] bytes, int off, int len, Callback done) {
        writeAsync(false, ByteBuffer.wrap(bytes, off, len), done);
    }

    @Override
    public void writeEvent(String type, String json) throws IOException {
        byte[] b = ("event: " + type + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
        writeEvents(b, 0, b.length);
    }

    @Override
    public void onClientGone(Runnable action) {
        this.onClientGone = action;
        if (failed) {
            action.run();
        }
    }

    /** The connection failed under us (client closed it, or shutdown): stop writing and cancel the upstream. */
    void clientGone() {
        failed = true;
        Runnable r = onClientGone;
        if (r != null) {
            r.run();
        }
    }

    /** Ends an open stream with an {@code error} event (shutdown grace expired), then cancels its upstream. */
    void abortStream(String type, String message) {
        if (!streaming || failed) {
            return;
        }
        byte[] b = ("event: error\ndata: " + org.anthropicproxy.json.ErrorBody.json(type, message) + "\n\n")
                .getBytes(StandardCharsets.UTF_8);
        try {
            write(false, ByteBuffer.wrap(b));
        } catch (IOException ignored) {
            // already gone
        }
        clientGone();
    }

    /** Sends a ping when the stream has been silent for {@code idleNanos}; false once the client is gone. */
    boolean pingIfIdle(long now, long idleNanos) {
        if (!streaming || failed || now - lastWriteNanos < idleNanos) {
            return !failed;
        }
        if (!writes.idle()) {
            return true; // a write is in progress: the stream is not idle, or the client reads slowly
        }
        writeAsync(false, ByteBuffer.wrap(PING), Callback.NOOP);
        return true;
    }

    /** Ends the response if a stream was started, then runs {@code then} (also when the client has left). */
    void finish(Runnable then) {
        if (streaming && !failed) {
            // the client may have left after the last event: nothing is lost, and the request ends either way
            writeAsync(
                    true,
                    BufferUtil.EMPTY_BUFFER,
                    Callback.from(Callback.NOOP.getInvocationType(), then, failure -> then.run()));
        } else {
            writes.afterWrites(then);
        }
    }

    private void begin(int status, HttpFields headers) {
        // outside the lock: deciding may read (and drop) the rest of a request body
        boolean close = !keepAlive.getAsBoolean();
        commit(status, headers, close);
    }

    private synchronized void commit(int status, HttpFields headers, boolean close) {
        if (committed) {
            throw new IllegalStateException("response already committed");
        }
        this.status = status;
        response.setStatus(status);
        HttpFields.Mutable h = response.getHeaders();
        for (HttpField f : headers) {
            h.add(f);
        }
        if (close) {
            h.put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        }
        committed = true;
    }

    private void write(boolean last, ByteBuffer buffer) throws IOException {
        try (Blocker.Callback cb = Blocker.callback()) {
            writeAsync(last, buffer, cb);
            cb.block();
        } catch (IOException | RuntimeException e) {
            throw e instanceof IOException io ? io : new IOException(e);
        }
    }

    private void writeAsync(boolean last, ByteBuffer buffer, Callback done) {
        if (failed) {
            done.failed(new IOException("client connection closed"));
            return;
        }
        writes.write(last, buffer, new Callback() {
            @Override
            public void succeeded() {
                long now = System.nanoTime();
                if (firstByteNanos == 0) {
                    firstByteNanos = now;
                }
                lastWriteNanos = now;
                done.succeeded();
            }

            @Override
            public void failed(Throwable x) {
                clientGone();
                done.failed(x);
            }

            @Override
            public InvocationType getInvocationType() {
                return done.getInvocationType();
            }
        });
    }
}
