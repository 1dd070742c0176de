package org.anthropicproxy.bench.jmh;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.provider.Usage;
import org.anthropicproxy.server.AccessLog;
import org.anthropicproxy.usage.DailyRow;
import org.anthropicproxy.usage.Pricing;
import org.anthropicproxy.usage.UsageApi;
import org.anthropicproxy.usage.UsageRecord;
import org.anthropicproxy.usage.UsageRecorder;
import org.anthropicproxy.usage.UsageStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What recording usage costs a request on its own thread: the record built from the access-log entry and offered to
 * the writer's queue (the budget is 5 µs). Each invocation records {@link #BATCH} requests into a fresh, empty queue
 * (made outside the measurement), so every offer is the accepting one a proxy makes, never the drop of a full queue.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgs = {"-Xmx1g"})
public class UsageRecordBench {

    static final int BATCH = 20_000;

    private static final UsageStore NOWHERE = new UsageStore() {
        @Override
        public void append(List<UsageRecord> batch) {}

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
            return "nowhere";
        }

        @Override
        public void close() {}
    };

    private final AccessLog.Entry entry = new AccessLog.Entry(
            "req_0123456789abcdef",
            "POST",
            "/v1/messages",
            "claude-sonnet-4-5",
            "native",
            "claude-4.5-sonnet",
            200,
            true,
            412_300,
            5_120_800,
            new Usage(12, 410, 30_000, 1_200),
            0,
            null,
            "3f2a9c41d0b7");
    private UsageApi api;

    @Setup(Level.Invocation)
    public void freshQueue() {
        api = new UsageApi(
                new UsageRecorder(NOWHERE, Clock.systemUTC(), Duration.ofDays(90)),
                Pricing.defaults(),
                Duration.ofDays(90));
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void recordOneRequest() {
        for (int i = 0; i < BATCH; i++) {
            api.served(entry);
        }
    }
}
