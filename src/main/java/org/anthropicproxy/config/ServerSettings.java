package org.anthropicproxy.config;

import java.time.Duration;

/** Listener, limits and timeouts of the proxy itself. */
public record ServerSettings(
        String host,
        int port,
        long maxBodyBytes,
        int maxHeaderBytes,
        int maxConcurrentRequests,
        Duration pingInterval,
        Duration connectTimeout,
        Duration headersTimeout,
        Duration idleTimeout,
        Duration requestTimeout,
        Duration upstreamIdleConnection,
        Duration shutdownGrace,
        Duration clientHeaderTimeout,
        Duration keepAliveTimeout,
        Duration clientBodyTimeout,
        int maxConnections) {

    /** nginx's defaults for the client side: 30 s for a request head (ours), 75 s keep-alive, 60 s body silence. */
    public static final Duration DEFAULT_CLIENT_HEADER_TIMEOUT = Duration.ofSeconds(30);

    public static final Duration DEFAULT_KEEP_ALIVE_TIMEOUT = Duration.ofSeconds(75);
    public static final Duration DEFAULT_CLIENT_BODY_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;

    /** The listener and upstream settings, with the client-side deadlines and cap at their defaults. */
    public ServerSettings(
            String host,
            int port,
            long maxBodyBytes,
            int maxHeaderBytes,
            int maxConcurrentRequests,
            Duration pingInterval,
            Duration connectTimeout,
            Duration headersTimeout,
            Duration idleTimeout,
            Duration requestTimeout,
            Duration upstreamIdleConnection,
            Duration shutdownGrace) {
        this(
                host,
                port,
                maxBodyBytes,
                maxHeaderBytes,
                maxConcurrentRequests,
                pingInterval,
                connectTimeout,
                headersTimeout,
                idleTimeout,
                requestTimeout,
                upstreamIdleConnection,
                shutdownGrace,
                DEFAULT_CLIENT_HEADER_TIMEOUT,
                DEFAULT_KEEP_ALIVE_TIMEOUT,
                DEFAULT_CLIENT_BODY_TIMEOUT,
                DEFAULT_MAX_CONNECTIONS);
    }

    public static ServerSettings defaults() {
        return new ServerSettings(
                "127.0.0.1",
                8080,
                32L * 1024 * 1024,
                64 * 1024,
                1024,
                Duration.ofSeconds(10),
                Duration.ofSeconds(10),
                Duration.ofMinutes(10),
                Duration.ofMinutes(10),
                Duration.ofMinutes(60),
                Duration.ofSeconds(300),
                Duration.ofSeconds(30));
    }

    public ServerSettings withHost(String h) {
        return withAddress(h, port);
    }

    public ServerSettings withPort(int p) {
        return withAddress(host, p);
    }

    private ServerSettings withAddress(String h, int p) {
        return new ServerSettings(
                h,
                p,
                maxBodyBytes,
                maxHeaderBytes,
                maxConcurrentRequests,
                pingInterval,
                connectTimeout,
                headersTimeout,
                idleTimeout,
                requestTimeout,
                upstreamIdleConnection,
                shutdownGrace,
                clientHeaderTimeout,
                keepAliveTimeout,
                clientBodyTimeout,
                maxConnections);
    }
}
