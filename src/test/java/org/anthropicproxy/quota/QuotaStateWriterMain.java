package org.anthropicproxy.quota;

import java.nio.file.Path;
import java.time.Instant;

/**
 * Child process for {@link FileQuotaStoreCrashTest}: changes the state file as fast as it can, forever, printing the
 * request count after each change so the parent can kill it at a moment of its choosing while writes go on.
 */
public final class QuotaStateWriterMain {
    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        try (FileQuotaStore store = new FileQuotaStore(file)) {
            long base = store.get("native").requestCount();
            Instant t = Instant.parse("2026-11-24T00:00:00Z");
            for (long i = 1; ; i++) {
                store.recordRequest("native", t.plusMillis(i));
                if (i % 3 == 0)
                    store.markExhausted("native", t, t.plusSeconds(i), "weekly limit " + "x".repeat((int) (i % 400)));
                if (i % 5 == 0) store.markCooldown("codebuddy-" + (i % 7), t.plusSeconds(i), "overloaded " + i);
                if (i % 11 == 0) store.reset("native");
                System.out.println(base + i);
                System.out.flush();
            }
        }
    }
}
