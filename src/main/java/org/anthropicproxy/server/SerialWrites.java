package org.anthropicproxy.server;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The writes of one response, one at a time and in the order they were asked for: a relay writing from an upstream
 * thread, the pinger and the request's own thread may all write, and Jetty allows one pending write per response.
 * Nobody waits for a lock while a write is stuck on a slow client; later writes queue behind it.
 */
final class SerialWrites {

    private record Pending(boolean last, ByteBuffer buffer, Callback done) {}

    private final Response response;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>(2);
    private boolean busy;

    SerialWrites(Response response) {
        this.response = response;
    }

    void write(boolean last, ByteBuffer buffer, Callback done) {
        synchronized (this) {
            if (busy) {
                queue.add(new Pending(last, buffer, done));
                return;
            }
            busy = true;
        }
        start(last, buffer, done);
    }

    /** Runs {@code then} once every write asked for so far has completed (or failed). */
    void afterWrites(Runnable then) {
        write(false, null, Callback.from(Callback.NOOP.getInvocationType(), then, failure -> then.run()));
    }

    /** True when no write is pending or queued. */
    synchronized boolean idle() {
        return !busy;
    }

    private void start(boolean last, ByteBuffer buffer, Callback done) {
        if (buffer == null) {
            // a marker from afterWrites: everything before it is done
            done.succeeded();
            next();
            return;
        }
        response.write(
                last,
                buffer,
                Callback.from(
                        done.getInvocationType(),
                        () -> {
                            done.succeeded();
                            next();
                        },
                        failure -> {
                            done.failed(failure);
                            next();
                        }));
    }

    private void next() {
        Pending p;
        synchronized (this) {
            p = queue.poll();
            if (p == null) {
                busy = false;
                return;
            }
        }
        start(p.last, p.buffer, p.done);
    }
}
