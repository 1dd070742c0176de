package org.anthropicproxy.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The least a JVM can do per proxied request: one thread, one selector, each client connection paired with an
 * upstream connection and its bytes copied across as they come, no HTTP at all. The load bench's reference rows run
 * it with the proxy's JVM flags as a floor: what any I/O layer written in Java would cost at least on the machine,
 * set beside Jetty's reverse proxy (the proxy's stack) and nginx.
 *
 * <p>Arguments: the port to listen on, the upstream's base URL ({@code http://127.0.0.1:PORT}).
 */
public final class TcpRelay {

    private TcpRelay() {
    }

    public static void main(String[] args) throws IOException {
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
                try {
                    if (key.isAcceptable()) {
                        accept(server, upstream, selector);
                    } else {
                        ((Side) key.attachment()).ready(key);
                    }
                } catch (IOException e) {
                    if (key.attachment() instanceof Side s) {
                        s.close();
                    }
                }
            });
        }
    }

    private static void accept(ServerSocketChannel server, InetSocketAddress upstream, Selector selector) throws IOException {
        SocketChannel client = server.accept();
        if (client == null) {
            return;
        }
        SocketChannel origin = SocketChannel.open(upstream); // loopback: a blocking connect is immediate
        Side a = new Side(client);
        Side b = new Side(origin);
        a.peer = b;
        b.peer = a;
        a.key = client.register(selector, SelectionKey.OP_READ, a);
        b.key = origin.register(selector, SelectionKey.OP_READ, b);
    }

    /** One socket of a pair, and the bytes read from its peer still to be written to it. */
    private static final class Side {
        final SocketChannel channel;
        final ByteBuffer toWrite = ByteBuffer.allocateDirect(64 * 1024).flip();
        Side peer;
        SelectionKey key;

        Side(SocketChannel channel) throws IOException {
            this.channel = channel;
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }

        void ready(SelectionKey k) throws IOException {
            if (k.isReadable()) {
                ByteBuffer b = peer.toWrite.clear();
                if (channel.read(b) < 0) {
                    close();
                    return;
                }
                b.flip();
                peer.flush();
            }
            if (k.isValid() && k.isWritable()) {
                flush();
            }
        }

        /** Writes what is pending; a side reads only while its peer has nothing left to write. */
        void flush() throws IOException {
            channel.write(toWrite);
            interest();
            peer.interest();
        }

        void interest() {
            int ops = (toWrite.hasRemaining() ? SelectionKey.OP_WRITE : 0) | (peer.toWrite.hasRemaining() ? 0 : SelectionKey.OP_READ);
            if (key.interestOps() != ops) {
                key.interestOps(ops);
            }
        }

        void close() {
            for (Side s : new Side[] {this, peer}) {
                try {
                    s.channel.close();
                } catch (IOException ignored) {
                    // closing both sides of a pair that is done
                }
            }
        }
    }
}
