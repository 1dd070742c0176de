package org.anthropicproxy.http1;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.io.Content;

/**
 * A connection's input: the bytes read and not parsed yet (between position and limit), and the body chunks handed
 * out of it. A chunk is a view of these bytes and stays valid until released (Jetty's contract), so the unparsed
 * bytes are moved to the front only while no chunk is held; when one is held and the space behind runs out, they move
 * to a fresh buffer instead and the old one stays with its chunks. Guarded by the connection's lock.
 */
final class InputBuffer {

    private final int size;
    private final Object lock;
    private ByteBuffer bytes;
    private int held;
    private int generation;

    InputBuffer(int size, Object lock) {
        this.size = size;
        this.lock = lock;
        this.bytes = ByteBuffer.allocateDirect(size).flip();
    }

    /** The unparsed bytes, for the parser to consume from. */
    ByteBuffer bytes() {
        return bytes;
    }

    boolean hasRemaining() {
        return bytes.hasRemaining();
    }

    int remaining() {
        return bytes.remaining();
    }

    /** Drops the unparsed bytes. */
    void discard() {
        bytes.position(bytes.limit());
    }

    /** Reads what {@code transport} has into the free space: the count, 0 when nothing came or no room, -1 at the end. */
    int fill(Transport transport) throws IOException {
        int start;
        if (held == 0 && bytes.position() > 0) {
            bytes.compact();
            start = 0;
        } else if (held > 0 && bytes.limit() == bytes.capacity() && bytes.position() > 0) {
            moveToFreshBuffer();
            bytes.compact();
            start = 0;
        } else {
            start = bytes.position();
            bytes.position(bytes.limit()).limit(bytes.capacity());
        }
        int n = bytes.hasRemaining() ? transport.read(bytes) : 0;
        bytes.limit(bytes.position()).position(start);
        return n;
    }

    /** Whether a read could put bytes somewhere. */
    boolean room() {
        return bytes.limit() < bytes.capacity() || bytes.position() > 0;
    }

    /** A body chunk viewing {@code slice} of these bytes. */
    Content.Chunk chunk(ByteBuffer slice) {
        held++;
        int gen = generation;
        return Content.Chunk.from(slice, false, () -> released(gen));
    }

    /** Before the buffer serves another message: chunks still held keep the old bytes. */
    void detachHeld() {
        if (held > 0) {
            moveToFreshBuffer();
        }
    }

    private void moveToFreshBuffer() {
        ByteBuffer fresh = ByteBuffer.allocateDirect(size);
        fresh.put(bytes.slice()).flip();
        bytes = fresh;
        held = 0;
        generation++;
    }

    private void released(int gen) {
        synchronized (lock) {
            if (gen == generation && held > 0) {
                held--;
            }
        }
    }
}
