package org.anthropicproxy.server;

import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's platform threads. When a request's answer ends on a thread other than the one that read the request
 * (the upstream's I/O thread, a virtual thread), Jetty hands the connection to a pool thread to look for the next
 * request; that thread only re-arms the selector. Here the ending thread does it itself: one thread wake-up less per
 * request (measured with /proc's context-switch counts: the pool's threads woke once per request for this alone).
 * Both kinds of ending thread run nothing that blocks, and the next request is dispatched by the handler as usual.
 */
final class ServerThreads extends QueuedThreadPool {

    private static final Logger LOG = LoggerFactory.getLogger(ServerThreads.class);
    // a connection resumed from inside another's resume (pipelined requests answered at once) goes to the pool
    private static final ThreadLocal<Boolean> RESUMING = ThreadLocal.withInitial(() -> Boolean.FALSE);

    ServerThreads(int threads) {
        super(threads, threads);
    }

    @Override
    public void execute(Runnable job) {
        if (!(job instanceof HttpConnection) || RESUMING.get() || !isRunning()) {
            super.execute(job);
            return;
        }
        RESUMING.set(Boolean.TRUE);
        try {
            job.run();
        } catch (Throwable t) {
            // as the pool would: the connection's own failure handling has run; the ending thread must go on
            LOG.warn("resuming a connection failed", t);
        } finally {
            RESUMING.set(Boolean.FALSE);
        }
    }
}
