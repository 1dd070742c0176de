package org.anthropicproxy.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
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

    private TcpRelay() {}

    public static void main(String[] args) throws IOException {
        RelayLoop.run(args, (client, origin, selector) -> {
            Side a = new Side(client);
            Side b = new Side(origin);
            a.peer = b;
            b.peer = a;
            a.key = client.register(selector, SelectionKey.OP_READ, a);
            b.key = origin.register(selector, SelectionKey.OP_READ, b);
        });
    }

    /** One socket of a pair, and the bytes read from its peer still to be written to it. */
    private static final class Side implements RelayLoop.Handler {
        final SocketChannel channel;
        final ByteBuffer toWrite = ByteBuffer.allocateDirect(64 * 1024).flip();
        Side peer;
        SelectionKey key;

        Side(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public void ready(SelectionKey k) throws IOException {
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
            int ops = (toWrite.hasRemaining() ? SelectionKey.OP_WRITE : 0)
                    | (peer.toWrite.hasRemaining() ? 0 : SelectionKey.OP_READ);
            if (key.isValid() && key.interestOps() != ops) {
                key.interestOps(ops);
            }
        }

        @Override
        public void close() {
            RelayLoop.closeAll(channel, peer.channel);
        }
    }
}
