package org.anthropicproxy.http1;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** The bytes of an upstream connection: as they are on the socket, or through TLS ({@link TlsTransport}). */
interface Transport {

    /** Reads what is there into {@code dst}: the count, 0 when nothing came, -1 at the end of input. */
    int read(ByteBuffer dst) throws IOException;

    /** Writes as much of {@code srcs} as the socket takes now; what it did not stays in the buffers (or the transport). */
    void write(ByteBuffer[] srcs) throws IOException;

    /** False while bytes the transport took are still waiting for the socket. */
    boolean flushed();

    /** Writes what the transport holds, as far as the socket takes it. */
    void flush() throws IOException;

    static long remaining(ByteBuffer[] buffers) {
        long n = 0;
        for (ByteBuffer b : buffers) {
            n += b.remaining();
        }
        return n;
    }

    static Transport plain(SocketChannel channel) {
        return new Transport() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                return channel.read(dst);
            }

            @Override
            public void write(ByteBuffer[] srcs) throws IOException {
                channel.write(srcs);
            }

            @Override
            public boolean flushed() {
                return true;
            }

            @Override
            public void flush() {
                // nothing held
            }
        };
    }
}
