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

    private final Request request;
    private final byte[] body;
    private final CompletableFuture<byte[]> done = new CompletableFuture<>();
    private int filled;

    private AsyncBody(Request request, int length) {
        this.request = request;
        this.body = new byte[length];
    }

    /** The body of {@code request}, whose {@code content-length} is {@code length}. */
    static CompletableFuture<byte[]> read(Request request, int length) {
        AsyncBody reader = new AsyncBody(request, length);
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
            if (n > body.length - filled) {
                // the server stops at the content-length; a chunk past it would be a bug, not a client's fault
                chunk.release();
                done.completeExceptionally(new IllegalStateException("request content longer than its content-length"));
                return;
            }
            bytes.get(body, filled, n);
            filled += n;
            boolean last = chunk.isLast();
            chunk.release();
            if (last) {
                if (filled < body.length) {
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
