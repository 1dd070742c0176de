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
        Duration shutdownGrace) {

    public static ServerSettings defaults() {
        return new ServerSettings("127.0.0.1", 8080, 32L * 1024 * 1024, 64 * 1024, 1024,
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMinutes(10), Duration.ofMinutes(10),
                Duration.ofMinutes(60), Duration.ofSeconds(300), Duration.ofSeconds(30));
    }

    public ServerSettings withHost(String h) {
        return new ServerSettings(h, port, maxBodyBytes, maxHeaderBytes, maxConcurrentRequests, pingInterval,
                connectTimeout, headersTimeout, idleTimeout, requestTimeout, upstreamIdleConnection, shutdownGrace);
    }

    public ServerSettings withPort(int p) {
        return new ServerSettings(host, p, maxBodyBytes, maxHeaderBytes, maxConcurrentRequests, pingInterval,
                connectTimeout, headersTimeout, idleTimeout, requestTimeout, upstreamIdleConnection, shutdownGrace);
    }
}
