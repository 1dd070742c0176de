package org.anthropicproxy.server;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.anthropicproxy.config.ServerSettings;
import org.anthropicproxy.http1.ConnectionLimits;
import org.anthropicproxy.http1.Http1Server;
import org.anthropicproxy.provider.Router;
import org.slf4j.LoggerFactory;

/**
 * The listening side: the lean HTTP/1.1 server ({@link Http1Server}) running {@link ProxyHandler}, and the graceful
 * shutdown (ShutdownIT).
 */
public final class ProxyServer implements AutoCloseable {

    private final Http1Server server;
    private final String host;
    private final Pinger pinger;
    private final Router router;
    private final Duration grace;
    private final ProxyHandler handler;

    public ProxyServer(ServerSettings settings, Router router, AdminRoutes admin, ClientAuth auth) {
        this.grace = settings.shutdownGrace();
        this.router = router;
        this.host = settings.host();
        pinger = new Pinger(settings.pingInterval());
        handler = new ProxyHandler(router, settings, pinger, admin, auth);
        // the idle timeout is the upstream's silence limit plus a margin, so the upstream side times out first
        Duration idle = settings.idleTimeout().plusSeconds(60);
        server = new Http1Server(
                settings.host(),
                settings.port(),
                handler,
                settings.maxHeaderBytes(),
                new ConnectionLimits(
                        settings.clientHeaderTimeout(),
                        settings.keepAliveTimeout(),
                        settings.clientBodyTimeout(),
                        idle,
                        settings.maxConnections()));
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
        return server.port();
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
        LoggerFactory.getLogger("anthropic-proxy")
                .info("stopping: {} requests in flight, grace {} s", handler.inFlight(), grace.toSeconds());
        handler.beginShutdown();
        server.stopAccepting(); // open connections keep going
        long deadline = System.nanoTime() + Math.max(0, grace.toMillis() - 1000) * 1_000_000L;
        awaitIdle(deadline);
        if (handler.inFlight() > 0) {
            pinger.abortAll("the proxy is shutting down; retry the request");
            awaitIdle(System.nanoTime() + 1_000_000_000L);
        }
        server.close();
        pinger.close();
        router.close();
        LoggerFactory.getLogger("anthropic-proxy")
                .info("stopped after {} ms", (System.nanoTime() - started) / 1_000_000);
    }
}
