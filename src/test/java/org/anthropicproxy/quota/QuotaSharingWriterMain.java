package org.anthropicproxy.quota;

import java.nio.file.Path;
import java.time.Instant;

/**
 * Child process for {@link FileQuotaStoreSharingTest}: once told to go (a line on standard input), marks its own
 * provider cooling down {@code n} times, each a write of the shared file, counting a request on the shared provider
 * each time, then marks its provider exhausted and closes the store.
 */
public final class QuotaSharingWriterMain {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        String own = args[1];
        int n = Integer.parseInt(args[2]);
        Instant t = Instant.parse("2026-11-24T00:00:00Z");
        try (FileQuotaStore store = new FileQuotaStore(file)) {
            System.out.println("ready");
            System.out.flush();
            System.in.read();
            for (int i = 1; i <= n; i++) {
                store.recordRequest("shared", t.plusMillis(i));
                store.markCooldown(own, t.plusSeconds(i), own + " cooling " + i);
            }
            store.markExhausted(own, t, t.plusSeconds(86_400), own + " weekly limit");
        }
    }
}
