package org.anthropicproxy.server;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Keeps quiet streams alive: one thread visits every open stream and pings those silent for the interval. */
final class Pinger implements AutoCloseable {

    private final Set<JettyClientSink> streams = ConcurrentHashMap.newKeySet();
    private final long idleNanos;
    private final Thread thread;
    private volatile boolean running = true;

    Pinger(Duration interval) {
        this.idleNanos = interval.toNanos();
        long tick = Math.max(50, Math.min(1000, interval.toMillis() / 4));
        thread = Thread.ofVirtual().name("pinger").start(() -> {
            while (running) {
                try {
                    Thread.sleep(tick);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                streams.removeIf(s -> !s.pingIfIdle(now, idleNanos));
            }
        });
    }

    void add(JettyClientSink sink) {
        streams.add(sink);
    }

    void remove(JettyClientSink sink) {
        streams.remove(sink);
    }

    /** Ends every open stream with an error event (shutdown grace expired). */
    void abortAll(String message) {
        for (JettyClientSink s : streams) {
            s.abortStream("overloaded_error", message);
        }
    }

    int openStreams() {
        return streams.size();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
