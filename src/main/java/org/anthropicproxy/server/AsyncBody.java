package org.anthropicproxy.server;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * Reads a request body of known length without blocking: the chunks already received at once, the rest as the
 * selector reports them (the server runs a demand callback on its I/O thread). The future completes on the
 * thread that read the last chunk, so a request served on I/O threads never waits for a virtual thread.
 */
final class AsyncBody implements Invocable.Task {

    /** What is preallocated at most: more grows as bytes arrive, never from the declared length alone. */
    private static final int FIRST_BUFFER = 64 * 1024;

    private final Request request;
    private final int length;
    private byte[] body;
    private final CompletableFuture<byte[]> done = new CompletableFuture<>();
    private int filled;

    private AsyncBody(Request request, int length) {
        this.request = request;
        this.length = length;
        this.body = new byte[Math.min(length, FIRST_BUFFER)];
    }

    /** The body of {@code request}, whose {@code content-length} is {@code length}. */
    static CompletableFuture<byte[]> read(Request request, long length) {
        AsyncBody reader = new AsyncBody(request, (int) length);
        reader.run();
        return reader.done;
    }

    @Override
    public void run() {
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                request.demand(this);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                done.completeExceptionally(chunk.getFailure());
                return;
            }
            ByteBuffer bytes = chunk.getByteBuffer();
            int n = bytes.remaining();
            if (n > length - filled) {
                // the server stops at the content-length; a chunk past it would be a bug, not a client's fault
                chunk.release();
                done.completeExceptionally(new IllegalStateException("request content longer than its content-length"));
                return;
            }
            if (n > body.length - filled) {
                body = java.util.Arrays.copyOf(body, (int) Math.min(length, Math.max(filled + n, 2L * body.length)));
            }
            bytes.get(body, filled, n);
            filled += n;
            boolean last = chunk.isLast();
            chunk.release();
            if (last) {
                if (filled < length) {
                    done.completeExceptionally(new EOFException());
                } else {
                    done.complete(body);
                }
                return;
            }
        }
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }
}
