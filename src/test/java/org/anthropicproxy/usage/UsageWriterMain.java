package org.anthropicproxy.usage;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.concurrent.locks.LockSupport;

/**
 * Child process for {@link UsageKillTest}: records a request every 2 ms through a real recorder into a SQLite file,
 * forever, printing "sequence time" after each so the parent knows what was handed over when it kills this process.
 */
public final class UsageWriterMain {
    public static void main(String[] args) {
        Clock clock = Clock.system(ZoneOffset.UTC);
        UsageRecorder recorder = new UsageRecorder(
                        new SqliteUsageStore(Path.of(args[0]), ZoneOffset.UTC), clock, Duration.ofDays(90))
                .start();
        for (long i = 1; ; i++) {
            long now = clock.millis();
            recorder.record(new UsageRecord(
                    now,
                    Long.toString(i),
                    "key",
                    "native",
                    "claude-sonnet-4-5",
                    "claude-sonnet-4-5",
                    true,
                    200,
                    0,
                    1000,
                    2000,
                    i,
                    2 * i,
                    0,
                    0));
            System.out.println(i + " " + now);
            System.out.flush();
            LockSupport.parkNanos(2_000_000);
        }
    }
}
