package org.anthropicproxy.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Platform-thread counts for leak checks ({@link Thread#getAllStackTraces} lists platform threads only; virtual
 * threads end with their request). A check waits, bounded, for the count to come back within a tolerance.
 */
public final class ThreadCensus {

    private ThreadCensus() {}

    public static int platformThreads() {
        return Thread.getAllStackTraces().size();
    }

    public static List<String> names() {
        return Thread.getAllStackTraces().keySet().stream()
                .map(Thread::getName)
                .sorted()
                .toList();
    }

    /** Waits up to {@code settle} for the platform-thread count to fall to {@code baseline + tolerance}; the last count. */
    public static int settle(int baseline, int tolerance, Duration settle) throws InterruptedException {
        long deadline = System.nanoTime() + settle.toNanos();
        int n;
        while ((n = platformThreads()) > baseline + tolerance && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return n;
    }

    /** Polls {@code condition} every 10 ms until true or {@code limit} passes; whether it became true. */
    public static boolean await(Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
        return true;
    }

    /** The JVM's peak resident set (VmHWM) and current RSS in KiB from /proc/self/status, or -1 where unavailable. */
    public static Map<String, Long> memoryKiB() {
        long hwm = -1;
        long rss = -1;
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) {
                    hwm = Long.parseLong(l.replaceAll("[^0-9]", ""));
                } else if (l.startsWith("VmRSS:")) {
                    rss = Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux: reported as -1
        }
        return Map.of("VmHWM", hwm, "VmRSS", rss);
    }
}
