package org.anthropicproxy.usage;

import static org.anthropicproxy.usage.UsageAggregatesTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** The recorder's contract apart from any real store: bounded queue, batches, one WARN per outage, nothing lost. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UsageRecorderTest {

    /** A store that fails while {@link #broken} and remembers every batch it took. */
    private static final class FlakyStore implements UsageStore {
        final AtomicBoolean broken = new AtomicBoolean();
        final List<List<UsageRecord>> batches = new CopyOnWriteArrayList<>();

        @Override
        public void append(List<UsageRecord> batch) {
            if (broken.get()) {
                throw new UsageStoreException("disk full", null);
            }
            batches.add(List.copyOf(batch));
        }

        @Override
        public List<DailyRow> daily(LocalDate from, LocalDate to) {
            return List.of();
        }

        @Override
        public List<UsageRecord> recent(int limit) {
            return List.of();
        }

        @Override
        public void deleteBefore(LocalDate firstKept) {}

        @Override
        public String describe() {
            return "flaky";
        }

        @Override
        public void close() {}

        List<String> ids() {
            List<String> out = new ArrayList<>();
            batches.forEach(b -> b.forEach(r -> out.add(r.requestId())));
            return out;
        }
    }

    private static UsageRecord record(int i) {
        return new UsageRecord(i, Integer.toString(i), null, "p", "m", "m", false, 200, 0, 1, 2, i, 0, 0, 0);
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlocking() {
        UsageRecorder r = new UsageRecorder(new FlakyStore(), Clock.systemUTC(), Duration.ofDays(90)); // not started
        for (int i = 0; i < UsageRecorder.QUEUE_CAPACITY + 5; i++) {
            r.record(record(i));
        }
        assertThat(r.dropped()).isEqualTo(5);
        r.close();
    }

    @Test
    void anOutageWarnsOnceAndEverythingIsWrittenInOrderWhenItEnds() {
        Logger logger = (Logger) LoggerFactory.getLogger(UsageRecorder.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
        Level previous = logger.getLevel();
        logger.setLevel(Level.INFO);
        FlakyStore store = new FlakyStore();
        try (UsageRecorder r =
                new UsageRecorder(store, Clock.systemUTC(), Duration.ofDays(90), Duration.ofMillis(20)).start()) {
            r.record(record(0));
            waitFor(() -> r.committed() == 1);
            store.broken.set(true);
            for (int i = 1; i <= 30; i++) {
                r.record(record(i));
                if (i % 10 == 0) {
                    waitFor(r::failing);
                }
            }
            store.broken.set(false);
            waitFor(() -> r.committed() == 31 && !r.failing());
        } finally {
            logger.detachAppender(log);
            logger.setLevel(previous);
        }
        assertThat(store.ids())
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(0, 30)
                        .mapToObj(Integer::toString)
                        .toList());
        assertThat(log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage))
                .singleElement()
                .asString()
                .contains("flaky")
                .contains("disk full");
        assertThat(log.list.stream().filter(e -> e.getLevel() == Level.INFO).map(ILoggingEvent::getFormattedMessage))
                .singleElement()
                .asString()
                .contains("works again");
    }

    @Test
    void closeWritesWhatIsQueued() {
        FlakyStore store = new FlakyStore();
        UsageRecorder r =
                new UsageRecorder(store, Clock.systemUTC(), Duration.ofDays(90), Duration.ofSeconds(30)).start();
        r.record(record(1));
        waitFor(() -> r.committed() == 1); // the first batch goes at once, the next waits out the interval
        r.record(record(2));
        r.record(record(3));
        r.close();
        assertThat(store.ids()).containsExactly("1", "2", "3");
    }
}
