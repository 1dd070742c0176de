package org.anthropicproxy.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.anthropicproxy.bench.BenchData;
import org.anthropicproxy.sse.SseParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/** SseParser.feed over a recorded stream, fed in network-sized pieces (as the upstream reader does). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgs = {"-Xmx1g"})
public class SseParseBench {

    @Param({"anthropic/stream-thinking-then-parallel-tool-use.sse", "openai/stream-text-include-usage.sse"})
    public String stream;

    /** Bytes per feed call: one event at a time is the slow-streaming case, 16 KB the upstream reader's buffer. */
    @Param({"64", "16384"})
    public int piece;

    private byte[] bytes;

    @Setup
    public void setup() {
        bytes = BenchData.bytes(stream);
    }

    @Benchmark
    public void parseStream(Blackhole bh) {
        SseParser p = new SseParser(bh::consume);
        for (int off = 0; off < bytes.length; off += piece) {
            p.feed(bytes, off, Math.min(piece, bytes.length - off));
        }
        bh.consume(p.boundary());
    }

    /** The same with each event's data taken as bytes (what the stream relays and the translator do). */
    @Benchmark
    public void parseStreamRaw(Blackhole bh) {
        SseParser p = new SseParser((event, data, off, len) -> bh.consume(len));
        for (int off = 0; off < bytes.length; off += piece) {
            p.feed(bytes, off, Math.min(piece, bytes.length - off));
        }
        bh.consume(p.boundary());
    }
}
