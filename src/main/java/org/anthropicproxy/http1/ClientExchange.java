package org.anthropicproxy.http1;

import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;

/**
 * One request sent by {@link Http1Client}: its response head when it arrives, then its body as a content source
 * (Jetty's read/demand contract, each chunk valid until released or the next read). Ends when the body has been read
 * to its end (the connection goes back to the pool) or on {@link #abort} (the connection is closed).
 */
public final class ClientExchange {

    /** The status line and headers of an upstream answer. */
    public record Head(int status, HttpFields headers) {}

    final CompletableFuture<Head> head = new CompletableFuture<>();
    final long startNanos = System.nanoTime();
    final long idleNanos;
    final long totalNanos;
    volatile Http1ClientConnection connection;
    volatile Throwable aborted;

    ClientExchange(long idleNanos, long totalNanos) {
        this.idleNanos = idleNanos;
        this.totalNanos = totalNanos;
    }

    /** Completes with the response head, or fails when no answer came (refused, reset, timed out, aborted). */
    public CompletableFuture<Head> head() {
        return head;
    }

    /** The body; read it only after {@link #head} completed. */
    public Content.Source body() {
        return body;
    }

    /** Gives the exchange up: its connection is closed, a pending head or read fails with {@code cause}. */
    public void abort(Throwable cause) {
        if (aborted != null) {
            return;
        }
        aborted = cause;
        Http1ClientConnection c = connection;
        if (c != null) {
            c.abort(this, cause);
        }
        head.completeExceptionally(cause);
    }

    private final Content.Source body = new Content.Source() {
        @Override
        public Content.Chunk read() {
            Http1ClientConnection c = connection;
            if (c == null) {
                Throwable a = aborted;
                return a != null ? Content.Chunk.from(a, true) : null;
            }
            return c.read(ClientExchange.this);
        }

        @Override
        public void demand(Runnable demandCallback) {
            Http1ClientConnection c = connection;
            if (c == null) {
                demandCallback.run();
                return;
            }
            c.demand(ClientExchange.this, demandCallback);
        }

        @Override
        public void fail(Throwable failure) {
            abort(failure);
        }
    };
}
