package org.anthropicproxy.http1;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The life of one {@link Http1Connection} between and around its exchanges: whether it goes on after an answer (and
 * the reset of the exchange state when it does), and the deadlines the loop's sweep enforces (the head, the
 * keep-alive wait, the body, silence while answering, the graceful close). It owns these decisions; the state they
 * read and reset is the connection's, under the connection's lock ({@code hostile.DeadlinesIT},
 * {@code Http1ServerEdgeTest}).
 */
final class Http1KeepAlive {

    /** How long a connection closed by us waits for the client's end of input before it is cut. */
    private static final long CLOSING_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final Http1Connection c;

    Http1KeepAlive(Http1Connection connection) {
        this.c = connection;
    }

    /**
     * Readies the connection for its next request, or closes it (only when {@code onLoop}); under the lock. Returns
     * whether the loop has more to do: a request already buffered to parse, or a close.
     */
    boolean reset(boolean onLoop) {
        if (c.closed || c.request == null || !c.handlerDone || !c.responseDone) {
            return false;
        }
        boolean keep = c.persistent && !c.inputShut;
        if (keep && !c.messageDone) {
            // a body the handler left unread: dropped if it is all here, else the connection cannot go on
            keep = c.requestBody.consumeAvailable();
        }
        if (!keep) {
            if (onLoop) {
                c.request = null;
                c.response = null;
                c.demand = null;
                c.closeGracefully();
            }
            return true;
        }
        c.request = null;
        c.response = null;
        c.demand = null;
        c.idleSince = System.nanoTime();
        c.headStart = c.in.hasRemaining() ? c.idleSince : 0;
        c.in.detachHeld();
        c.parser.reset();
        c.clearMessage();
        c.inputFailure = null;
        c.badMessage = null;
        c.expectContinue = false;
        c.committed = false;
        c.chunked = false;
        c.noBody = false;
        c.lastWritten = false;
        c.responseDone = false;
        c.handlerDone = false;
        c.probes = 0;
        c.updateInterest();
        return c.in.hasRemaining() || c.inputShut;
    }

    /**
     * From the loop's sweep: a head that takes too long, a keep-alive wait too long, a body that stops arriving, or
     * silence while answering lets the connection go ({@code hostile.DeadlinesIT}).
     */
    void checkIdle(long now, ConnectionLimits limits) {
        boolean expired;
        List<Http1Output.Write> probed = null;
        String why = "idle timeout";
        synchronized (c) {
            if (c.closed) {
                return;
            }
            if (c.closing) {
                if (now - c.closingSince > CLOSING_NANOS) {
                    c.closeNow();
                }
                return;
            }
            if (c.request == null && !c.out.pending()) {
                boolean waitingForHead = c.headStart != 0;
                if (waitingForHead
                        ? now - c.headStart > limits.headerTimeout().toNanos()
                        : now - c.idleSince > limits.keepAliveTimeout().toNanos()) {
                    c.closeNow();
                }
                return;
            }
            if (c.inputShut
                    && c.probes == 1
                    && !c.out.pending()
                    && now - c.probedAt > Http1RequestBody.PROBE_SPACING_NANOS) {
                probed = c.requestBody.probeDeparture();
            }
            expired = now - c.lastActivity > limits.idleTimeout().toNanos();
            if (!expired
                    && c.request != null
                    && c.demand != null
                    && !c.messageDone
                    && now - c.lastActivity > limits.bodyTimeout().toNanos()) {
                expired = true;
                why = "request body read timeout";
            }
        }
        c.out.complete(probed);
        if (expired) {
            c.fail(new TimeoutException(why));
        }
    }
}
