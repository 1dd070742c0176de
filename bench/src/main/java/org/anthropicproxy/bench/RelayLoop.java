package org.anthropicproxy.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The one-thread selector loop of the bench's Java relays: listens on 127.0.0.1, pairs each accepted client with a
 * new upstream connection (both non-blocking, no Nagle) and hands every ready key to the {@link Handler} attached to
 * it; a handler that fails is closed.
 */
final class RelayLoop {

    /** Registers a client and its upstream connection with the selector, attaching their handler. */
    interface Pairing {
        void pair(SocketChannel client, SocketChannel origin, Selector selector) throws IOException;
    }

    interface Handler {
        void ready(SelectionKey key) throws Exception;

        /** Closes both connections of the pair. */
        void close();
    }

    private RelayLoop() {}

    /** Runs forever. Arguments: the port to listen on, the upstream's base URL ({@code http://127.0.0.1:PORT}). */
    static void run(String[] args, Pairing pairing) throws IOException {
        int port = Integer.parseInt(args[0]);
        URI up = URI.create(args[1]);
        InetSocketAddress upstream = new InetSocketAddress(up.getHost(), up.getPort());
        Selector selector = Selector.open();
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", port), 1024);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        while (true) {
            selector.select(key -> {
                if (key.isAcceptable()) {
                    accept(server, upstream, selector, pairing);
                    return;
                }
                Handler h = (Handler) key.attachment();
                try {
                    h.ready(key);
                } catch (Exception e) {
                    h.close();
                }
            });
        }
    }

    private static void accept(
            ServerSocketChannel server, InetSocketAddress upstream, Selector selector, Pairing pairing) {
        SocketChannel client = null;
        try {
            client = server.accept();
            if (client == null) {
                return;
            }
            SocketChannel origin = SocketChannel.open(upstream); // loopback: a blocking connect is immediate
            for (SocketChannel c : new SocketChannel[] {client, origin}) {
                c.configureBlocking(false);
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            pairing.pair(client, origin, selector);
        } catch (IOException e) {
            System.err.println("relay: cannot pair a connection: " + e);
            if (client != null) {
                closeAll(client);
            }
        }
    }

    static void closeAll(SocketChannel... channels) {
        for (SocketChannel c : channels) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing both sides of a pair that is done
            }
        }
    }
}
