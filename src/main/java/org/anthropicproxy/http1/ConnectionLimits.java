package org.anthropicproxy.http1;

import java.time.Duration;

/**
 * What a client connection may hold before the server lets it go, so a hostile network cannot exhaust it (nginx's
 * {@code client_header_timeout}, {@code keepalive_timeout}, {@code client_body_timeout}, {@code worker_connections}).
 *
 * @param headerTimeout    the longest a request head may take to arrive, from its first byte (from the accept for
 *                         a connection's first request)
 * @param keepAliveTimeout the longest a connection may wait for its next request
 * @param bodyTimeout      the longest silence while the server waits for request body bytes
 * @param idleTimeout      the longest silence while a request is answered (the upstream's silence limit and more)
 * @param maxConnections   connections beyond this are closed as soon as they are accepted
 */
public record ConnectionLimits(
        Duration headerTimeout,
        Duration keepAliveTimeout,
        Duration bodyTimeout,
        Duration idleTimeout,
        int maxConnections) {

    /** One silence limit for every phase, no cap on connections. */
    public static ConnectionLimits idle(Duration idle) {
        return new ConnectionLimits(idle, idle, idle, idle, Integer.MAX_VALUE);
    }
}
