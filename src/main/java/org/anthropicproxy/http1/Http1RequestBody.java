package org.anthropicproxy.http1;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;

/**
 * The request body of one {@link Http1Connection}, read on demand: {@link org.eclipse.jetty.server.Request#read} and {@link org.eclipse.jetty.server.Request#demand},
 * the {@code 100 Continue} a waiting client is owed, the drop of a body the handler left unread, and the interim
 * probes that tell a client that left from one that only half-closed. It holds no state of its own: the exchange
 * state is the connection's, and every method runs under the connection's lock, calling back outside it.
 */
final class Http1RequestBody {

    static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    /**
     * A body read after the final answer to a request that expects {@code 100 Continue}: the client still waits for
     * the 100, which would now come after the answer, so the body is taken as absent and the connection closes
     * after the answer (RFC 9110 §10.1.1; {@code hostile.HttpDetailsIT}).
     */
    private static final String NO_BODY_AFTER_ANSWER = "no body: the answer went out before a 100 Continue";
    /** The least time between the two departure probes: room for the reset the first draws to come back. */
    static final long PROBE_SPACING_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final Http1Connection c;

    Http1RequestBody(Http1Connection connection) {
        this.c = connection;
    }

    /** {@link org.eclipse.jetty.server.Request#read}: the next part of the body, null when none has arrived yet. */
    Content.Chunk read() {
        List<Http1Output.Write> completed = null;
        synchronized (c) {
            while (true) {
                if (c.inputFailure != null) {
                    return Content.Chunk.from(c.inputFailure, true);
                }
                if (c.messageDone) {
                    return Content.Chunk.EOF;
                }
                c.content = null;
                int before = c.in.remaining();
                // also with nothing buffered: a body whose last byte was parsed ends at the next parse
                c.parser.parseNext(c.in.bytes());
                if (c.badMessage != null) {
                    c.inputFailure = (Throwable) c.badMessage;
                    continue;
                }
                if (c.content != null) {
                    ByteBuffer slice = c.content;
                    c.content = null;
                    return c.in.chunk(slice);
                }
                if (c.messageDone || c.inputFailure != null || c.in.remaining() < before) {
                    continue;
                }
                if (c.inputShut) {
                    if (!c.parser.isAtEOF()) {
                        c.parser.atEOF();
                    } else {
                        // the parser at EOF without a verdict: the body cannot go on
                        c.inputFailure = new BadBody("request body cut short");
                    }
                    continue;
                }
                if (c.expectContinue) {
                    c.expectContinue = false;
                    if (c.committed) {
                        c.inputFailure = new BadBody(NO_BODY_AFTER_ANSWER);
                        continue;
                    }
                    completed = c.out.queue(new ByteBuffer[] {ByteBuffer.wrap(CONTINUE)}, Callback.NOOP, false);
                    break;
                }
                int n;
                try {
                    n = c.fill();
                } catch (IOException e) {
                    c.inputFailure = e;
                    continue;
                }
                if (n == 0) {
                    c.updateInterest();
                    break;
                }
            }
        }
        c.out.complete(completed);
        return null;
    }

    /** {@link org.eclipse.jetty.server.Request#demand}: runs {@code callback} once {@link #read} may return something. */
    void demand(Runnable callback) {
        List<Http1Output.Write> completed = null;
        boolean now;
        synchronized (c) {
            if (c.expectContinue && c.committed && !c.in.hasRemaining()) {
                c.expectContinue = false;
                c.inputFailure = new BadBody(NO_BODY_AFTER_ANSWER);
            }
            now = c.inputFailure != null || c.messageDone || c.in.hasRemaining() || c.inputShut;
            if (!now) {
                if (c.expectContinue) {
                    c.expectContinue = false;
                    completed = c.out.queue(new ByteBuffer[] {ByteBuffer.wrap(CONTINUE)}, Callback.NOOP, false);
                }
                c.demand = callback;
                c.updateInterest();
            }
        }
        c.out.complete(completed);
        if (now) {
            c.loop.later(callback);
        }
    }

    /** Reads and drops the rest of the body when all of it is already here; true when the body is then complete. */
    boolean consumeAvailable() {
        synchronized (c) {
            while (!c.messageDone && c.badMessage == null && c.inputFailure == null) {
                c.content = null;
                int before = c.in.remaining();
                c.parser.parseNext(c.in.bytes());
                if (c.content == null && c.in.remaining() == before && !c.messageDone) {
                    break;
                }
            }
            c.content = null;
            return c.messageDone;
        }
    }

    /**
     * The client ended its input while its request waits for an answer: it left (closed its socket, as Node and
     * Python clients do when a request is cancelled) or only half-closed and waits. An interim {@code 100 Continue},
     * which HTTP/1.1 clients skip (RFC 9110 §15.2), tells the two apart: a socket the client closed answers it with a
     * reset, and the second one, sent by a sweep at least {@link #PROBE_SPACING_NANOS} later, then fails the
     * connection, so the request learns its client is gone and cancels its upstream ({@code hostile.ClientDepartureIT}).
     * Under the lock; returns the writes completed.
     */
    List<Http1Output.Write> probeDeparture() {
        if (c.request == null || c.committed || c.closed || c.version != HttpVersion.HTTP_1_1 || c.probes >= 2) {
            return null;
        }
        c.probes++;
        c.probedAt = System.nanoTime();
        c.expectContinue = false;
        return c.out.queue(new ByteBuffer[] {ByteBuffer.wrap(CONTINUE)}, Callback.NOOP, false);
    }
}
