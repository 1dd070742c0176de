package org.anthropicproxy.server;

import java.net.InetSocketAddress;
import org.anthropicproxy.config.ServerSettings;
import org.anthropicproxy.provider.Router;
import org.anthropicproxy.provider.UpstreamHttp;
import org.anthropicproxy.provider.VirtualThreads;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** The Jetty server: a blocking handler invoked on a virtual thread per request. */
public final class ProxyServer implements AutoCloseable {

    private final Server server;
    private final ServerConnector connector;
    private final Pinger pinger;
    private final Router router;

    private final java.time.Duration grace;
    private final ProxyHandler handler;

    public ProxyServer(ServerSettings settings, Router router, AdminRoutes admin, ClientAuth auth) {
        this.grace = settings.shutdownGrace();
        this.router = router;
        // platform threads only select, accept and run Jetty's non-blocking tasks; requests run on virtual threads
        QueuedThreadPool threads = new QueuedThreadPool(6, 6);
        threads.setName("proxy");
        threads.setReservedThreads(0);
        threads.setVirtualThreadsExecutor(VirtualThreads.EXECUTOR);
        server = new Server(threads, null, new ArrayByteBufferPool(0, -1, -1, Integer.MAX_VALUE,
                UpstreamHttp.POOL_RETAINED_BYTES, UpstreamHttp.POOL_RETAINED_BYTES));
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        http.setRequestHeaderSize(settings.maxHeaderBytes());
        http.setResponseHeaderSize(64 * 1024);
        http.setOutputBufferSize(32 * 1024);
        // Jetty builds a header cache per connection from its second request on: ~100 KB of tries on every kept-alive
        // connection (100 MB with a thousand open streams) to save a few string allocations per request
        http.setHeaderCacheSize(0);
        // the default 8 KB request buffer: Jetty keeps a connection's buffer while its request is in progress, and
        // 64 KB buffers made 1,000 open streams cost 100-150 MB more RSS (bench/load.sh --only streams)
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        connector.setIdleTimeout(settings.idleTimeout().toMillis() + 60_000);
        connector.setAcceptedTcpNoDelay(true);
        server.addConnector(connector);
        pinger = new Pinger(settings.pingInterval());
        handler = new ProxyHandler(router, settings, pinger, admin, auth);
        server.setHandler(handler);
        server.setErrorHandler(new JsonErrorHandler());
        server.setStopTimeout(1000);
        server.setStopAtShutdown(false);
    }

    private void awaitIdle(long deadlineNanos) {
        while (handler.inFlight() > 0 && System.nanoTime() < deadlineNanos) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    public ProxyServer start() throws Exception {
        server.start();
        return this;
    }

    public int port() {
        return connector.getLocalPort();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(connector.getHost() == null ? "127.0.0.1" : connector.getHost(), port());
    }

    /**
     * Stops accepting, lets in-flight requests finish within the grace period, and ends streams still open just
     * before it expires with an {@code error} event, so no client sees a silent cut.
     */
    @Override
    public void close() {
        handler.beginShutdown();
        connector.close(); // stop accepting; open connections keep going
        long deadline = System.nanoTime() + Math.max(0, grace.toMillis() - 1000) * 1_000_000L;
        awaitIdle(deadline);
        if (handler.inFlight() > 0) {
            pinger.abortAll("the proxy is shutting down; retry the request");
            awaitIdle(System.nanoTime() + 1_000_000_000L);
        }
        try {
            server.stop();
        } catch (Exception ignored) {
            // stopping: nothing more to do
        }
        pinger.close();
        router.close();
    }
}
