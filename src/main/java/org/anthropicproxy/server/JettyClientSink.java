package org.anthropicproxy.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.ReentrantLock;
import org.anthropicproxy.provider.ClientSink;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Blocking writes to a Jetty response, one flush per write. A lock serializes provider writes with the pinger's,
 * which only ever writes between whole events.
 */
final class JettyClientSink implements ClientSink {

    private static final byte[] PING = "event: ping\ndata: {\"type\": \"ping\"}\n\n".getBytes(StandardCharsets.UTF_8);

    private final Response response;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean committed;
    private volatile boolean streaming;
    private volatile boolean failed;
    private volatile long lastWriteNanos;
    private volatile long firstByteNanos;
    private int status;
    private volatile Runnable onClientGone;

    JettyClientSink(Response response) {
        this.response = response;
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

    @Override
    public void respond(int status, HttpFields headers, byte[] body) throws IOException {
        lock.lock();
        try {
            begin(status, headers);
            response.getHeaders().put("content-length", Long.toString(body.length));
            write(true, ByteBuffer.wrap(body));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void startStream(int status, HttpFields headers) throws IOException {
        lock.lock();
        try {
            begin(status, headers);
            HttpFields.Mutable h = response.getHeaders();
            h.put("content-type", "text/event-stream; charset=utf-8");
            h.put("cache-control", "no-cache");
            h.put("x-accel-buffering", "no");
            h.remove("content-length");
            streaming = true;
            write(false, BufferUtil.EMPTY_BUFFER);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void writeEvents(byte[] bytes, int off, int len) throws IOException {
        lock.lock();
        try {
            write(false, ByteBuffer.wrap(bytes, off, len));
        } finally {
            lock.unlock();
        }
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
        lock.lock();
        try {
            byte[] b = ("event: error\ndata: " + org.anthropicproxy.json.ErrorBody.json(type, message) + "\n\n")
                    .getBytes(StandardCharsets.UTF_8);
            write(false, ByteBuffer.wrap(b));
        } catch (IOException ignored) {
            // already gone
        } finally {
            lock.unlock();
        }
        clientGone();
    }

    /** Sends a ping when the stream has been silent for {@code idleNanos}; false once the client is gone. */
    boolean pingIfIdle(long now, long idleNanos) {
        if (!streaming || failed || now - lastWriteNanos < idleNanos) {
            return !failed;
        }
        if (!lock.tryLock()) {
            return true; // a provider write is in progress: the stream is not idle
        }
        try {
            write(false, ByteBuffer.wrap(PING));
            return true;
        } catch (IOException e) {
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the response if a stream was started. */
    void finish() {
        if (streaming && !failed) {
            lock.lock();
            try {
                write(true, BufferUtil.EMPTY_BUFFER);
            } catch (IOException ignored) {
                // the client left after the last event; nothing is lost
            } finally {
                lock.unlock();
            }
        }
    }

    private void begin(int status, HttpFields headers) {
        if (committed) {
            throw new IllegalStateException("response already committed");
        }
        this.status = status;
        response.setStatus(status);
        HttpFields.Mutable h = response.getHeaders();
        for (HttpField f : headers) {
            h.add(f);
        }
        committed = true;
    }

    private void write(boolean last, ByteBuffer buffer) throws IOException {
        if (failed) {
            throw new IOException("client connection closed");
        }
        try (Blocker.Callback cb = Blocker.callback()) {
            response.write(last, buffer, cb);
            cb.block();
        } catch (IOException | RuntimeException e) {
            clientGone();
            throw e instanceof IOException io ? io : new IOException(e);
        }
        long now = System.nanoTime();
        if (firstByteNanos == 0) {
            firstByteNanos = now;
        }
        lastWriteNanos = now;
    }
}
