package org.anthropicproxy.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.anthropicproxy.bench.BenchData;
import org.anthropicproxy.json.BodySplice;
import org.anthropicproxy.json.InvalidRequestException;
import org.anthropicproxy.json.MessagesRequestScan;
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

/** Passthrough request rewrite: the validating scan plus the byte-level model splice (what every request pays). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgs = {"-Xmx1g"})
public class PassthroughRewriteBench {

    @Param({"30000", "300000"})
    public int bodyBytes;

    private byte[] body;
    private byte[] upstreamModel;

    @Setup
    public void setup() {
        body = BenchData.toBytes(BenchData.claudeCodeLike(bodyBytes, "claude-sonnet-4-5-20250929", true));
        upstreamModel = BodySplice.jsonString("claude-4.5-sonnet");
    }

    @Benchmark
    public byte[] scanAndSplice() throws InvalidRequestException {
        MessagesRequestScan scan = MessagesRequestScan.scan(body, true);
        return BodySplice.replace(body, scan.modelSpan(), upstreamModel);
    }

    @Benchmark
    public MessagesRequestScan scanOnly() throws InvalidRequestException {
        return MessagesRequestScan.scan(body, true);
    }
}
