package org.anthropicproxy.http1;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.anthropicproxy.net.OutboundProxy;
import org.anthropicproxy.net.ProxyException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;

/**
 * A lean HTTP/1.1 client, plain or over TLS: pooled keep-alive connections per scheme, host and port, one selector
 * thread parsing every answer, requests written by the thread that sends them. New connections are opened on a
 * virtual thread (name lookup, connect and the TLS handshake block), so neither the caller nor the selector waits for them. Nothing is
 * added to the caller's headers but {@code Host} and {@code Content-Length}: no user agent, no compression. Through a
 * forward proxy when {@code proxies} names one for the request: https in a {@code CONNECT} tunnel ({@link ProxyTunnel}),
 * pooled like a direct connection; http in absolute form ({@code POST http://host/path}) with
 * {@code Proxy-Authorization}; both through a SOCKS5 tunnel ({@link Socks5}).
 */
public final class Http1Client implements AutoCloseable {

    private final IoLoop loop;
    private final SSLContext tls;
    private final Function<URI, OutboundProxy> proxies;
    private final Duration connectTimeout;
    private final long poolIdleNanos;
    private final int maxHeaderBytes;
    private final Map<String, ConcurrentLinkedDeque<Http1ClientConnection>> pools = new ConcurrentHashMap<>();
    private final Set<Http1ClientConnection> connections = ConcurrentHashMap.newKeySet();
    private final Map<Http1ClientConnection, Long> idleSince = new ConcurrentHashMap<>();

    public Http1Client(String name, Duration connectTimeout, Duration poolIdle, int maxHeaderBytes, SSLContext tls) {
        this(name, connectTimeout, poolIdle, maxHeaderBytes, tls, uri -> null);
    }

    /** @param proxies the forward proxy for a request, or null to go direct */
    public Http1Client(
            String name,
            Duration connectTimeout,
            Duration poolIdle,
            int maxHeaderBytes,
            SSLContext tls,
            Function<URI, OutboundProxy> proxies) {
        this.tls = tls;
        this.proxies = proxies;
        this.connectTimeout = connectTimeout;
        this.poolIdleNanos = poolIdle.toNanos();
        this.maxHeaderBytes = maxHeaderBytes;
        this.loop = new IoLoop(name, this::sweep, 500);
        loop.start();
    }

    /**
     * Sends {@code method uri} with {@code headers} and {@code body} (null for none). {@code idle} bounds the silence
     * between bytes once sent, {@code total} the whole exchange.
     */
    public ClientExchange send(URI uri, String method, HttpFields headers, byte[] body, Duration idle, Duration total) {
        ClientExchange x = new ClientExchange(idle.toNanos(), total.toNanos());
        String host = uri.getHost();
        boolean secure = "https".equalsIgnoreCase(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : secure ? 443 : 80;
        OutboundProxy proxy = proxies.apply(uri);
        String destination = (secure ? "https://" : "http://") + host.toLowerCase(Locale.ROOT) + ":" + port
                + (proxy == null ? "" : " via " + proxy.address());
        ByteBuffer[] request = encode(
                uri,
                method,
                headers,
                body,
                host,
                uri.getPort(),
                secure || proxy == null || proxy.kind().socks() ? null : proxy);
        Http1ClientConnection pooled;
        while ((pooled = acquire(destination)) != null) {
            if (pooled.send(x, request)) {
                return x;
            }
        }
        Thread.ofVirtual()
                .name("upstream-connect")
                .start(() -> connect(x, secure, host, port, proxy, destination, request));
        return x;
    }

    private Http1ClientConnection acquire(String destination) {
        ConcurrentLinkedDeque<Http1ClientConnection> pool = pools.get(destination);
        if (pool == null) {
            return null;
        }
        Http1ClientConnection c;
        while ((c = pool.pollFirst()) != null) {
            idleSince.remove(c);
            if (c.activate()) {
                return c;
            }
        }
        return null;
    }

    private void connect(
            ClientExchange x,
            boolean secure,
            String host,
            int port,
            OutboundProxy proxy,
            String destination,
            ByteBuffer[] request) {
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open();
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            int timeout = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
            if (proxy == null) {
                // resolved here, so a name that does not resolve fails naming it (UnknownHostException)
                channel.socket().connect(new InetSocketAddress(java.net.InetAddress.getByName(host), port), timeout);
            } else {
                connectToProxy(channel, proxy, timeout);
                if (proxy.kind().socks()) {
                    Socks5.connect(channel, proxy, host, port, timeout);
                } else if (secure) {
                    ProxyTunnel.open(channel, proxy, host, port, timeout);
                }
            }
            Transport transport =
                    secure ? TlsTransport.handshake(tls, channel, host, port, timeout) : Transport.plain(channel);
            channel.configureBlocking(false);
            Http1ClientConnection c =
                    new Http1ClientConnection(this, loop, channel, transport, destination, maxHeaderBytes);
            connections.add(c);
            SocketChannel ch = channel;
            loop.execute(() -> {
                try {
                    c.register();
                    if (!c.send(x, request)) {
                        x.head.completeExceptionally(new java.io.EOFException("upstream closed the new connection"));
                    }
                } catch (IOException e) {
                    closeQuietly(ch);
                    connections.remove(c);
                    x.head.completeExceptionally(e);
                }
            });
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            x.head.completeExceptionally(
                    e instanceof java.net.SocketTimeoutException
                            ? new java.net.SocketTimeoutException(
                                    "connect timed out after " + connectTimeout.toMillis() + " ms")
                            : e);
        }
    }

    private static void connectToProxy(SocketChannel channel, OutboundProxy proxy, int timeout) throws ProxyException {
        try {
            channel.socket()
                    .connect(
                            new InetSocketAddress(java.net.InetAddress.getByName(proxy.host()), proxy.port()), timeout);
        } catch (java.net.SocketTimeoutException e) {
            throw new ProxyException(
                    "proxy " + proxy.address() + " did not accept a connection within " + timeout + " ms", e);
        } catch (IOException e) {
            throw new ProxyException(
                    "proxy " + proxy.address() + " unreachable (" + e.getClass().getSimpleName()
                            + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")",
                    e);
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // failing anyway
            }
        }
    }

    /** A connection whose answer ended and that may be reused. */
    void release(Http1ClientConnection c) {
        idleSince.put(c, System.nanoTime());
        pools.computeIfAbsent(c.destination, d -> new ConcurrentLinkedDeque<>()).offerFirst(c);
    }

    void closed(Http1ClientConnection c) {
        connections.remove(c);
        idleSince.remove(c);
        ConcurrentLinkedDeque<Http1ClientConnection> pool = pools.get(c.destination);
        if (pool != null) {
            pool.remove(c);
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Http1ClientConnection c : connections) {
            c.checkTimeouts(now);
        }
        for (Map.Entry<Http1ClientConnection, Long> e : idleSince.entrySet()) {
            if (now - e.getValue() > poolIdleNanos) {
                Http1ClientConnection c = e.getKey();
                ConcurrentLinkedDeque<Http1ClientConnection> pool = pools.get(c.destination);
                // only a connection still in the pool: one taken meanwhile is in use
                if (pool != null && pool.remove(c)) {
                    c.close();
                    closed(c);
                }
            }
        }
    }

    /** Connections open now, in use or pooled. */
    public int openConnections() {
        return connections.size();
    }

    /** {@code proxy}: a plain-http request through it, in absolute form with its credentials; else null. */
    private static ByteBuffer[] encode(
            URI uri, String method, HttpFields headers, byte[] body, String host, int port, OutboundProxy proxy) {
        StringBuilder b = new StringBuilder(512).append(method).append(' ');
        if (proxy != null) {
            b.append("http://").append(host.contains(":") ? "[" + host + "]" : host);
            if (port > 0) {
                b.append(':').append(port);
            }
        }
        String path = uri.getRawPath();
        b.append(path == null || path.isEmpty() ? "/" : path);
        if (uri.getRawQuery() != null) {
            b.append('?').append(uri.getRawQuery());
        }
        b.append(" HTTP/1.1\r\nHost: ").append(host.contains(":") ? "[" + host + "]" : host);
        if (port > 0) {
            b.append(':').append(port);
        }
        b.append("\r\n");
        if (proxy != null && proxy.authorization() != null) {
            b.append("Proxy-Authorization: ").append(proxy.authorization()).append("\r\n");
        }
        for (HttpField f : headers) {
            String name = f.getName();
            if (name.equalsIgnoreCase("host")
                    || name.equalsIgnoreCase("content-length")
                    || name.equalsIgnoreCase("proxy-authorization")
                    || name.equalsIgnoreCase("transfer-encoding")
                    || name.equalsIgnoreCase("connection")) {
                continue;
            }
            String value = f.getValue() == null ? "" : f.getValue();
            // a configured header value with a line break must not start a header of its own
            b.append(name)
                    .append(": ")
                    .append(
                            value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0
                                    ? value.replace('\r', ' ').replace('\n', ' ')
                                    : value)
                    .append("\r\n");
        }
        if (body != null) {
            b.append("Content-Length: ").append(body.length).append("\r\n");
        }
        b.append("\r\n");
        ByteBuffer head = ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.ISO_8859_1));
        return body == null || body.length == 0
                ? new ByteBuffer[] {head}
                : new ByteBuffer[] {head, ByteBuffer.wrap(body)};
    }

    @Override
    public void close() {
        for (Http1ClientConnection c : connections) {
            c.close();
        }
        connections.clear();
        pools.clear();
        idleSince.clear();
        loop.close();
    }
}
