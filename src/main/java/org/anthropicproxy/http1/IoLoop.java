package org.anthropicproxy.http1;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One selector and the platform thread that runs it. Everything that touches a selection key runs here; other
 * threads hand work over with {@link #execute}, which wakes the selector only when the task is not already on it.
 */
final class IoLoop implements AutoCloseable {

    /** What a registered channel's attachment does when the selector reports it ready. */
    interface Ready {
        void ready(int readyOps);
    }

    private static final Logger LOG = LoggerFactory.getLogger(IoLoop.class);

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Runnable tick;
    private final long tickNanos;
    private volatile boolean running = true;

    IoLoop(String name, Runnable tick, long tickMillis) {
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.tick = tick;
        this.tickNanos = TimeUnit.MILLISECONDS.toNanos(tickMillis);
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    Selector selector() {
        return selector;
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code task} on the loop thread: at once when called there, else at its next turn. */
    void execute(Runnable task) {
        if (inLoop()) {
            task.run();
        } else {
            tasks.add(task);
            selector.wakeup();
        }
    }

    /** Runs {@code task} at the loop's next turn, even when called on the loop (no re-entry into the caller). */
    void later(Runnable task) {
        tasks.add(task);
        if (!inLoop()) {
            selector.wakeup();
        }
    }

    private void run() {
        long nextTick = System.nanoTime() + tickNanos;
        while (running) {
            try {
                runTasks();
                long wait = TimeUnit.NANOSECONDS.toMillis(nextTick - System.nanoTime());
                if (!tasks.isEmpty()) {
                    selector.selectNow(this::dispatch);
                } else if (wait > 0) {
                    selector.select(this::dispatch, wait);
                } else {
                    selector.selectNow(this::dispatch);
                }
                if (System.nanoTime() - nextTick >= 0) {
                    nextTick = System.nanoTime() + tickNanos;
                    tick.run();
                }
            } catch (ClosedSelectorException e) {
                return;
            } catch (Throwable t) {
                // a bug in one connection's handling must not stop every other connection's
                LOG.error("I/O loop {}: unexpected failure", thread.getName(), t);
            }
        }
    }

    private void dispatch(SelectionKey key) {
        if (key.attachment() instanceof Ready ready && key.isValid()) {
            try {
                ready.ready(key.readyOps());
            } catch (Throwable t) {
                LOG.error("I/O loop {}: unexpected failure in a connection", thread.getName(), t);
            }
        }
    }

    private void runTasks() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            try {
                task.run();
            } catch (Throwable t) {
                LOG.error("I/O loop {}: unexpected failure in a task", thread.getName(), t);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        runTasks();
        try {
            // whatever is still registered goes with the loop: a channel left open would never be read or closed
            for (SelectionKey key : selector.keys()) {
                key.channel().close();
            }
            selector.close();
        } catch (IOException | ClosedSelectorException ignored) {
            // closing
        }
    }
}
