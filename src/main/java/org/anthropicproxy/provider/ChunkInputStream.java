package org.anthropicproxy.provider;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Blocker;

/**
 * A blocking stream over a content source that copies each chunk out and releases it at once. Jetty's own stream
 * keeps the current chunk, and with it the connection's network buffer, while its reader waits for the next one:
 * with a thousand translated streams waiting on quiet upstreams that was ~25 MB of buffers held for nothing.
 */
final class ChunkInputStream extends InputStream {

    private final Content.Source source;
    private byte[] rest = new byte[0]; // what a read left of the last chunk
    private int pos;
    private int lim;
    private boolean ended;

    ChunkInputStream(Content.Source source) {
        this.source = source;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (pos == lim) {
            if (ended) {
                return -1;
            }
            Content.Chunk chunk = source.read();
            if (chunk == null) {
                try (Blocker.Runnable more = Blocker.runnable()) {
                    source.demand(more);
                    more.block();
                }
                continue;
            }
            if (Content.Chunk.isFailure(chunk)) {
                Throwable f = chunk.getFailure();
                ended = chunk.isLast();
                throw f instanceof IOException io ? io : new IOException(f);
            }
            ByteBuffer bytes = chunk.getByteBuffer();
            int n = bytes.remaining();
            int direct = Math.min(n, len);
            bytes.get(b, off, direct);
            if (n > direct) {
                if (rest.length < n - direct) {
                    rest = new byte[n - direct];
                }
                bytes.get(rest, 0, n - direct);
                pos = 0;
                lim = n - direct;
            }
            ended = chunk.isLast();
            chunk.release();
            if (direct > 0) {
                return direct;
            }
        }
        int n = Math.min(len, lim - pos);
        System.arraycopy(rest, pos, b, off, n);
        pos += n;
        return n;
    }

    /** Ends the reading: a body already received whole lets its connection be reused; otherwise it is given up. */
    @Override
    public void close() {
        while (!ended) {
            Content.Chunk chunk = source.read();
            if (chunk == null) {
                source.fail(new IOException("closed before the end of the upstream body"));
                ended = true;
                return;
            }
            ended = chunk.isLast();
            chunk.release();
        }
        rest = new byte[0];
        pos = lim = 0;
    }
}
