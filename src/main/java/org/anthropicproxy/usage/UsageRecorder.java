package org.anthropicproxy.usage;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes usage records off the request path and writes them in batches from one thread.
 *
 * <p>{@link #record} only offers the record to a bounded queue (no I/O, no JSON, no lock shared with the writer); a
 * full queue drops the record and counts it. The writer commits at most once per {@code interval} (one second by
 * default), so a process killed at any moment loses at most the records of the last interval (UsageKillTest).
 * A failing store (a locked or full disk, Redis away) gives one WARN; the batch is kept, bounded, and written when the
 * store works again, with one INFO (UsageRecorderTest). Retention runs once per day of the injected clock.
 */
public final class UsageRecorder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UsageRecorder.class);
    static final int QUEUE_CAPACITY = 50_000;
    static final int PENDING_CAPACITY = 200_000;

    private final UsageStore store;
    private final Clock clock;
    private final Duration retention;
    private final long intervalNanos;
    private final BlockingQueue<UsageRecord> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final ArrayDeque<UsageRecord> pending = new ArrayDeque<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong committed = new AtomicLong();
    private final Thread writer;
    private volatile boolean closed;
    private volatile boolean failing;
    private LocalDate retainedOn;

    public UsageRecorder(UsageStore store, Clock clock, Duration retention) {
        this(store, clock, retention, Duration.ofSeconds(1));
    }

    UsageRecorder(UsageStore store, Clock clock, Duration retention, Duration interval) {
        this.store = store;
        this.clock = clock;
        this.retention = retention;
        this.intervalNanos = interval.toNanos();
        this.writer = Thread.ofPlatform().daemon().name("usage-writer").unstarted(this::run);
    }

    public UsageRecorder start() {
        writer.start();
        return this;
    }

    /** Called on the request's thread: never blocks, never throws. */
    public void record(UsageRecord r) {
        if (!queue.offer(r)) {
            dropped.incrementAndGet();
        }
    }

    public UsageStore store() {
        return store;
    }

    public Clock clock() {
        return clock;
    }

    /** Records dropped because the queue or the retry buffer was full. */
    public long dropped() {
        return dropped.get();
    }

    /** Records written so far. */
    public long committed() {
        return committed.get();
    }

    /** True from a failed write until the next one that works. */
    public boolean failing() {
        return failing;
    }

    private void run() {
        long lastCommit = System.nanoTime() - intervalNanos;
        while (!closed) {
            try {
                retainDaily();
                UsageRecord first =
                        queue.poll(pending.isEmpty() ? 1000 : intervalNanos / 1_000_000, TimeUnit.MILLISECONDS);
                if (first == null && pending.isEmpty()) {
                    continue;
                }
                if (first != null) {
                    pending.add(first);
                }
                long wait = lastCommit + intervalNanos - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            } catch (InterruptedException e) {
                break; // close(): the final flush below
            }
            lastCommit = System.nanoTime();
            commit();
        }
        commit();
    }

    private void commit() {
        queue.drainTo(pending);
        if (pending.isEmpty()) {
            return;
        }
        List<UsageRecord> batch = new ArrayList<>(pending);
        try {
            store.append(batch);
            pending.clear();
            committed.addAndGet(batch.size());
            if (failing) {
                failing = false;
                LOG.info("usage store {} works again: {} requests recorded", store.describe(), batch.size());
            }
        } catch (RuntimeException e) {
            if (!failing) {
                failing = true;
                LOG.warn(
                        "usage store {} cannot be written ({}); requests go on, their usage is kept in memory "
                                + "(up to {} requests) and written when it can be",
                        store.describe(),
                        e.getMessage(),
                        PENDING_CAPACITY);
            }
            while (pending.size() > PENDING_CAPACITY) {
                pending.removeFirst();
                dropped.incrementAndGet();
            }
        }
    }

    private void retainDaily() {
        LocalDate today = LocalDate.now(clock);
        if (today.equals(retainedOn)) {
            return;
        }
        try {
            store.deleteBefore(firstKept(today, retention));
            retainedOn = today;
        } catch (RuntimeException e) {
            // tried again at the next wake-up; the write path reports a store that keeps failing
            LOG.debug("usage retention failed: {}", e.toString());
        }
    }

    /** The oldest day kept on {@code today}: a retention of 90d keeps today and the 89 days before. */
    public static LocalDate firstKept(LocalDate today, Duration retention) {
        return today.minusDays(Math.max(1, retention.toDays()) - 1);
    }

    /** Writes what is queued and stops the writer (bounded: 10 s). */
    @Override
    public void close() {
        closed = true;
        if (writer.getState() != Thread.State.NEW) { // never started: the proxy failed to start (HardeningIT)
            writer.interrupt();
            try {
                writer.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        store.close();
    }
}
