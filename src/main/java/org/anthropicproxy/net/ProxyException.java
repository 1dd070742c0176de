package org.anthropicproxy.net;

import java.io.IOException;

/**
 * The forward proxy, not the upstream, failed the request: it refused the connection, asked for credentials (407),
 * rejected the {@code CONNECT}, or closed before answering. The message names the proxy by {@code host:port} only,
 * never its credentials, and says what it answered.
 */
public final class ProxyException extends IOException {

    public ProxyException(String message) {
        super(message);
    }

    public ProxyException(String message, Throwable cause) {
        super(message, cause);
    }
}
