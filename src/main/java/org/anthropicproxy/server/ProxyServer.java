package org.anthropicproxy.server;

import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import org.anthropicproxy.config.ServerSettings;
import org.anthropicproxy.provider.Router;
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

    public ProxyServer(ServerSettings settings, Router router, AdminRoutes admin) {
        this.router = router;
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("proxy");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        http.setRequestHeaderSize(settings.maxHeaderBytes());
        http.setResponseHeaderSize(64 * 1024);
        http.setOutputBufferSize(32 * 1024);
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        connector.setIdleTimeout(settings.idleTimeout().toMillis() + 60_000);
        connector.setAcceptedTcpNoDelay(true);
        server.addConnector(connector);
        pinger = new Pinger(settings.pingInterval());
        server.setHandler(new ProxyHandler(router, settings, pinger, admin));
        server.setStopTimeout(settings.shutdownGrace().toMillis());
        server.setStopAtShutdown(false);
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

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception ignored) {
            // stopping: nothing more to do
        }
        pinger.close();
        router.close();
    }
}
