package org.anthropicproxy.bench.jmh;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.bench.BenchData;
import org.anthropicproxy.bench.Body;
import org.anthropicproxy.json.InvalidRequestException;
import org.anthropicproxy.json.MessagesRequestScan;
import org.anthropicproxy.provider.openai.MappedRequest;
import org.anthropicproxy.provider.openai.OpenAiDialect;
import org.anthropicproxy.provider.openai.RequestBodyMapper;
import org.anthropicproxy.provider.openai.RequestMapper;
import org.anthropicproxy.provider.openai.StreamTranslator;
import org.anthropicproxy.provider.openai.TokenCounter;
import org.anthropicproxy.provider.openai.ToolNameMap;
import org.anthropicproxy.sse.SseParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/** Anthropic → OpenAI request mapping (with the Jackson parse and write), and OpenAI → Anthropic stream translation. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgs = {"-Xmx1g"})
public class TranslationBench {

    private static final String TEXT_STREAM = "openai/stream-text-include-usage.sse";
    private static final String TOOLS_STREAM = "openai/stream-tool-calls-parallel.sse";
    private static final int TEXT_CHUNKS = 34;
    private static final int TOOLS_CHUNKS = 26;

    private byte[] claudeCodeBody;
    private RequestMapper mapper;
    private RequestBodyMapper bodyMapper;
    private MessagesRequestScan scan;
    private Body newTurns;
    private OpenAiDialect dialect;
    private List<String> textChunks;
    private List<String> toolChunks;
    private byte[] textStream;

    @Setup
    public void setup() {
        claudeCodeBody = BenchData.toBytes(BenchData.claudeCodeLike(30_000, "claude-sonnet-4-5-20250929", true));
        dialect = OpenAiDialect.defaults();
        mapper = new RequestMapper(dialect);
        bodyMapper = new RequestBodyMapper(dialect);
        newTurns = BenchData.claudeCodeLikeBody(30_000, "claude-sonnet-4-5-20250929", true);
        try {
            scan = MessagesRequestScan.scan(claudeCodeBody, true);
        } catch (InvalidRequestException e) {
            throw new IllegalStateException(e);
        }
        textChunks = BenchData.sseData(TEXT_STREAM);
        toolChunks = BenchData.sseData(TOOLS_STREAM);
        textStream = BenchData.bytes(TEXT_STREAM);
        if (textChunks.size() != TEXT_CHUNKS || toolChunks.size() != TOOLS_CHUNKS) {
            throw new IllegalStateException("fixture chunk counts changed: update TEXT_CHUNKS/TOOLS_CHUNKS");
        }
    }

    /** Parse the client body to a tree, map it, serialize the upstream body: a request whose tool list is new. */
    @Benchmark
    public byte[] mapRequest30k() throws IOException {
        ObjectNode anthropic = (ObjectNode) BenchData.JSON.readTree(claudeCodeBody);
        MappedRequest mapped = mapper.map(anthropic, "gpt-4o");
        return mapped.bytes(); // as sent: the tool list serialized once, while mapping it
    }

    /**
     * The same body again through the provider's {@link RequestBodyMapper}: system, tools and every message were seen
     * in the first request, so only the top-level fields are parsed; the rest is replayed from its memos.
     */
    @Benchmark
    public byte[] mapRequestRepeated30k() throws IOException {
        return bodyMapper.map(claudeCodeBody, scan, "gpt-4o").mapped().bytes();
    }

    /**
     * What OpenAiProvider does per turn of a conversation: the body has a newest turn (an assistant and a user message)
     * of its own, the rest repeats; includes the request scan (~26 µs, which every request has anyway) to find the
     * new turn's bytes.
     */
    @Benchmark
    public byte[] mapRequestNewTurn30k() throws IOException, InvalidRequestException {
        byte[] body = newTurns.next();
        return bodyMapper
                .map(body, MessagesRequestScan.scan(body, true), "gpt-4o")
                .mapped()
                .bytes();
    }

    /**
     * The message_start input estimate of the same body (parse + count). Every Claude Code turn re-sends the same system
     * blocks, tools and earlier messages, so repeated counting of one body is the steady state the memo is built for.
     */
    @Benchmark
    public long countRequest30k() throws IOException {
        return TokenCounter.shared().countRequest(BenchData.JSON.readTree(claudeCodeBody));
    }

    /** A text stream with usage, through a fresh translator; the score is per chunk (µs per {@code onData}). */
    @Benchmark
    @OperationsPerInvocation(TEXT_CHUNKS)
    public void translateTextStreamPerChunk(Blackhole bh) {
        translate(textChunks, bh);
    }

    /**
     * The text stream as the upstream's bytes, parsed and translated as {@code TranslatedStream} does (each event's
     * data handed over as bytes); per chunk, so comparable with the sum of {@code SseParseBench} (String events) per
     * chunk and {@link #translateTextStreamPerChunk}, the way before the bytes were.
     */
    @Benchmark
    @OperationsPerInvocation(TEXT_CHUNKS)
    public void translateTextStreamBytesPerChunk(Blackhole bh) {
        StreamTranslator t = new StreamTranslator(
                (type, json) -> bh.consume(json),
                "claude-sonnet-4-5",
                ToolNameMap.identity(),
                List.of(),
                dialect,
                "msg_bench",
                100);
        new SseParser((event, data, off, len) -> t.onData(data, off, len)).feed(textStream, 0, textStream.length);
        t.onUpstreamEnd();
        bh.consume(t.finished());
    }

    /** Two parallel tool calls with argument fragments; the score is per chunk. */
    @Benchmark
    @OperationsPerInvocation(TOOLS_CHUNKS)
    public void translateToolStreamPerChunk(Blackhole bh) {
        translate(toolChunks, bh);
    }

    private void translate(List<String> chunks, Blackhole bh) {
        StreamTranslator t = new StreamTranslator(
                (type, json) -> bh.consume(json),
                "claude-sonnet-4-5",
                ToolNameMap.identity(),
                List.of(),
                dialect,
                "msg_bench",
                100);
        for (String c : chunks) {
            t.onData(c);
        }
        t.onUpstreamEnd();
        bh.consume(t.finished());
    }
}
