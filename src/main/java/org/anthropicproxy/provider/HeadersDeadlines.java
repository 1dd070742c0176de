package org.anthropicproxy.provider;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The upstream's deadline for response headers, for all requests at once: one daemon thread sweeps the pending
 * requests a few times per timeout period and aborts the overdue ones. Registering costs a set insertion, so the
 * request path never arms a timer of its own. A deadline fires at most one sweep period late.
 */
final class HeadersDeadlines implements AutoCloseable {

    /** The failure an overdue request is aborted with. */
    static final class Expired extends Exception {
        Expired() {
            super("no response headers before the deadline", null, false, false);
        }
    }

    record Entry(Consumer<Throwable> abort, long deadlineNanos) {}

    private final Set<Entry> pending = ConcurrentHashMap.newKeySet();
    private final Thread sweeper;

    HeadersDeadlines(Duration timeout) {
        long period = Math.clamp(timeout.toMillis() / 10, 10, 1000);
        sweeper =
                Thread.ofPlatform().daemon().name("upstream-headers-deadlines").start(() -> sweep(period));
    }

    Entry add(Consumer<Throwable> abort, long deadlineNanos) {
        Entry e = new Entry(abort, deadlineNanos);
        pending.add(e);
        return e;
    }

    void remove(Entry e) {
        if (e != null) {
            pending.remove(e);
        }
    }

    int pending() {
        return pending.size();
    }

    @SuppressWarnings(
            "ModifyCollectionInEnhancedForLoop") // pending is a concurrent set: its iterator tolerates removal
    private void sweep(long periodMillis) {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(periodMillis);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Entry e : pending) {
                if (now - e.deadlineNanos() >= 0 && pending.remove(e)) {
                    e.abort().accept(new Expired());
                }
            }
        }
    }

    @Override
    public void close() {
        sweeper.interrupt();
    }
}
