package org.anthropicproxy.server;

import java.net.InetSocketAddress;
import org.anthropicproxy.config.ServerSettings;
import org.anthropicproxy.http1.ConnectionLimits;
import org.anthropicproxy.http1.Http1Server;
import org.anthropicproxy.provider.Router;
import org.anthropicproxy.provider.UpstreamHttp;
import org.anthropicproxy.provider.VirtualThreads;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.LoggerFactory;

/**
 * The listening side: the lean HTTP/1.1 server ({@link Http1Server}) running {@link ProxyHandler}, which is written
 * against Jetty's handler API. Jetty's own server runs the same handler when the system property
 * {@value #ENGINE_PROPERTY} is {@code jetty}: kept for A/B measurements (bench/README) and as a fallback.
 */
public final class ProxyServer implements AutoCloseable {

    public static final String ENGINE_PROPERTY = "anthropicproxy.server";

    /** What accepts connections and runs the handler: either server, as four actions. */
    private record Engine(Starter start, java.util.function.IntSupplier port, Runnable stopAccepting, Runnable stop) {
    }

    private interface Starter {
        void start() throws Exception;
    }

    private final Engine engine;
    private final String host;
    private final Pinger pinger;
    private final Router router;
    private final java.time.Duration grace;
    private final ProxyHandler handler;

    public ProxyServer(ServerSettings settings, Router router, AdminRoutes admin, ClientAuth auth) {
        this.grace = settings.shutdownGrace();
        this.router = router;
        this.host = settings.host();
        pinger = new Pinger(settings.pingInterval());
        handler = new ProxyHandler(router, settings, pinger, admin, auth);
        // the idle timeout is the upstream's silence limit plus a margin, so the upstream side times out first
        java.time.Duration idle = settings.idleTimeout().plusSeconds(60);
        engine = "jetty".equals(System.getProperty(ENGINE_PROPERTY)) ? jetty(settings, idle) : lean(settings, idle);
    }

    private Engine lean(ServerSettings settings, java.time.Duration idle) {
        Http1Server server = new Http1Server(settings.host(), settings.port(), handler, settings.maxHeaderBytes(),
                new ConnectionLimits(settings.clientHeaderTimeout(), settings.keepAliveTimeout(),
                        settings.clientBodyTimeout(), idle, settings.maxConnections()));
        return new Engine(server::start, server::port, server::stopAccepting, server::close);
    }

    private Engine jetty(ServerSettings settings, java.time.Duration idle) {
        // platform threads only select, accept and run Jetty's non-blocking tasks; requests run on virtual threads
        QueuedThreadPool threads = new QueuedThreadPool(6, 6);
        threads.setName("proxy");
        threads.setReservedThreads(0);
        threads.setVirtualThreadsExecutor(VirtualThreads.EXECUTOR);
        Server server = new Server(threads, null, new ArrayByteBufferPool(0, -1, -1, Integer.MAX_VALUE,
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
        ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        connector.setIdleTimeout(idle.toMillis());
        connector.setAcceptedTcpNoDelay(true);
        server.addConnector(connector);
        server.setHandler(handler);
        server.setErrorHandler(new JsonErrorHandler());
        server.setStopTimeout(1000);
        server.setStopAtShutdown(false);
        return new Engine(server::start, connector::getLocalPort, connector::close, () -> {
            try {
                server.stop();
            } catch (Exception ignored) {
                // stopping: nothing more to do
            }
        });
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
        engine.start().start();
        return this;
    }

    public int port() {
        return engine.port().getAsInt();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(host == null ? "127.0.0.1" : host, port());
    }

    /**
     * Stops accepting, lets in-flight requests finish within the grace period, and ends streams still open just
     * before it expires with an {@code error} event, so no client sees a silent cut.
     */
    @Override
    public void close() {
        long started = System.nanoTime();
        LoggerFactory.getLogger("anthropic-proxy").info("stopping: {} requests in flight, grace {} s", handler.inFlight(),
                grace.toSeconds());
        handler.beginShutdown();
        engine.stopAccepting().run(); // open connections keep going
        long deadline = System.nanoTime() + Math.max(0, grace.toMillis() - 1000) * 1_000_000L;
        awaitIdle(deadline);
        if (handler.inFlight() > 0) {
            pinger.abortAll("the proxy is shutting down; retry the request");
            awaitIdle(System.nanoTime() + 1_000_000_000L);
        }
        engine.stop().run();
        pinger.close();
        router.close();
        LoggerFactory.getLogger("anthropic-proxy").info("stopped after {} ms", (System.nanoTime() - started) / 1_000_000);
    }
}
