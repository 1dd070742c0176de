package org.anthropicproxy.http1;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Request;

/**
 * A lean HTTP/1.1 server: one selector thread accepts, parses and writes; the handler (Jetty's handler API, so the
 * routes do not know which server runs them) is called on that thread and may hand work to other threads, which
 * write directly to the socket. Jetty's server spends 2-3 times the CPU per request on the same work (bench/README).
 */
public final class Http1Server implements AutoCloseable {

    private final String host;
    private final int requestedPort;
    private final Request.Handler handler;
    private final int maxHeaderBytes;
    private final ConnectionLimits limits;
    private final IoLoop loop;
    private final Set<Http1Connection> connections = ConcurrentHashMap.newKeySet();
    private ServerSocketChannel acceptor;
    private int port;

    private SelectionKey acceptKey;
    /** Set while accepting is paused after a failed accept (out of file descriptors): the sweep re-arms it. */
    private volatile boolean acceptPaused;

    public Http1Server(String host, int port, Request.Handler handler, int maxHeaderBytes, Duration idleTimeout) {
        this(host, port, handler, maxHeaderBytes, ConnectionLimits.idle(idleTimeout));
    }

    public Http1Server(String host, int port, Request.Handler handler, int maxHeaderBytes, ConnectionLimits limits) {
        this.host = host;
        this.requestedPort = port;
        this.handler = handler;
        this.maxHeaderBytes = maxHeaderBytes;
        this.limits = limits;
        this.loop = new IoLoop("proxy-io", this::sweep, 500);
    }

    public Http1Server start() throws IOException {
        acceptor = ServerSocketChannel.open();
        acceptor.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        acceptor.bind(new InetSocketAddress(host == null ? "0.0.0.0" : host, requestedPort), 1024);
        acceptor.configureBlocking(false);
        port = ((InetSocketAddress) acceptor.getLocalAddress()).getPort();
        loop.start();
        CountDownLatch registered = new CountDownLatch(1);
        loop.execute(() -> {
            try {
                acceptKey = acceptor.register(loop.selector(), SelectionKey.OP_ACCEPT, (IoLoop.Ready) ops -> accept());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                registered.countDown();
            }
        });
        try {
            registered.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return this;
    }

    public int port() {
        return port;
    }

    public String host() {
        return host;
    }

    private void accept() {
        SocketChannel channel;
        try {
            while ((channel = acceptor.accept()) != null) {
                if (connections.size() >= limits.maxConnections()) {
                    channel.close(); // at the cap: refused at once rather than held unread (ConnectionLimitsIT)
                    continue;
                }
                try {
                    channel.configureBlocking(false);
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    Http1Connection connection = new Http1Connection(this, loop, channel, handler, maxHeaderBytes);
                    connections.add(connection);
                    connection.register();
                } catch (IOException e) {
                    channel.close();
                }
            }
        } catch (IOException e) {
            // out of file descriptors (EMFILE) or another accept failure: the pending connection stays in the backlog
            // and the selector would report it again at once, a spinning core; accepting pauses until the next
            // sweep instead (AcceptBackoffIT)
            if (acceptor.isOpen() && acceptKey != null && acceptKey.isValid()) {
                acceptKey.interestOps(0);
                acceptPaused = true;
            }
        }
    }

    void closed(Http1Connection connection) {
        connections.remove(connection);
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Http1Connection c : connections) {
            c.checkIdle(now, limits);
        }
        if (acceptPaused && acceptKey != null && acceptKey.isValid()) {
            acceptPaused = false;
            acceptKey.interestOps(SelectionKey.OP_ACCEPT);
        }
    }

    /** Stops accepting; open connections go on. */
    public void stopAccepting() {
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> {
            try {
                acceptor.close();
            } catch (IOException ignored) {
                // closing
            } finally {
                done.countDown();
            }
        });
        try {
            done.await(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stopAccepting();
        // the aborts run on the loop (they touch selection keys) and are waited for: the loop ends right after
        CountDownLatch aborted = new CountDownLatch(1);
        loop.execute(() -> {
            try {
                for (Http1Connection c : connections) {
                    c.abort();
                }
            } finally {
                aborted.countDown();
            }
        });
        try {
            aborted.await(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loop.close();
    }
}
