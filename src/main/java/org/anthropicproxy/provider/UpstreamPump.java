package org.anthropicproxy.provider;

import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.IteratingCallback;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * Moves an upstream body to the client without blocking: {@link #process} reads what is there, writes it (the
 * write's completion comes back to {@code process}), and asks for more with {@link #readMore} when nothing is. It runs
 * on the threads that deliver the upstream's bytes and complete the client's writes; a slow client slows the upstream
 * instead of filling memory.
 *
 * @param <R> how it ended, completed by the subclass into {@link #done}
 */
public abstract class UpstreamPump<R> extends IteratingCallback {

    protected final CompletableFuture<R> done = new CompletableFuture<>();
    /** The demand callback: runs {@link #process} again on the thread that has the next bytes. */
    protected final Runnable readMore = Invocable.from(Invocable.InvocationType.NON_BLOCKING, this::iterate);

    protected Content.Source upstream;

    /** Starts with {@code source}; the future completes once the pump has ended. */
    public CompletableFuture<R> start(Content.Source source) {
        this.upstream = source;
        iterate();
        return done;
    }

    public CompletableFuture<R> done() {
        return done;
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }
}
