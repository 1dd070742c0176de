package org.anthropicproxy.provider;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Where blocking work runs: one named virtual thread per task. Requests start on these, and work that an I/O
 * thread must not do (a credential refresh, an error body, a failover) moves back to one.
 */
public final class VirtualThreads {

    // named: Logback looks up, by reflection on every log line, a name for a thread that has none
    public static final ExecutorService EXECUTOR = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("request").factory());

    private VirtualThreads() {}
}
