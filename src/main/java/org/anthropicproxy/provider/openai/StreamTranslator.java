package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.anthropicproxy.provider.Usage;
import org.anthropicproxy.provider.openai.AnthropicEventWriter.Block;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenAI Chat Completions stream chunks → one valid Anthropic event sequence. One
 * instance per response; not thread-safe; never throws from its public methods (an internal failure becomes an
 * {@code event: error}).
 *
 * <h2>Rules</h2>
 * <table>
 * <tr><td>message_start</td><td>on the first valid chunk (or {@link #start()}); usage carries the caller's input estimate,
 *     output 1. An error chunk or invalid JSON before that yields only {@code event: error} (the caller may still
 *     answer with an HTTP error since {@link #contentStarted()} is false).</td></tr>
 * <tr><td>blocks</td><td>one open at a time, indexes 0,1,2… in start order.</td></tr>
 * <tr><td>reasoning</td><td>{@code reasoning_content}, else {@code reasoning}, else {@code thinking}, else
 *     {@code reasoning_details[].text} → thinking block ({@code signature:""} at start). It ends with a
 *     {@code signature_delta}: the upstream's signature ({@code reasoning_details[].signature}) or "" — never a
 *     made-up one, which would look valid and be rejected by Anthropic if the history is replayed there.
 *     Reasoning after any text or tool call has begun is dropped (WARN): thinking after text breaks Claude Code.</td></tr>
 * <tr><td>text, refusal</td><td>text block; {@code refusal} also sets stop_reason {@code refusal}. Text arriving once a
 *     tool call exists is held and emitted as a text block after the tool_use blocks.</td></tr>
 * <tr><td>stop sequences</td><td>all client stop strings are matched locally over text (text that may start one is
 *     held back); on a match the text is cut, later content ignored, stop_reason {@code stop_sequence}. A vLLM
 *     {@code choices[].stop_reason} naming a client stop string also yields {@code stop_sequence}.</td></tr>
 * <tr><td>tool calls</td><td>keyed by {@code index} (a new non-empty id on a known index = a new call), else by a new
 *     id, else by position in a multi-call delta, else the last call. Empty ids/names never overwrite known ones; a
 *     missing id becomes {@code toolu_<message>_<n>}; characters outside {@code [A-Za-z0-9_-]} become {@code _}.
 *     Arguments are buffered per call; a call's block starts when it is next in order and has a name, and gets its
 *     input as ONE {@code input_json_delta} once the first JSON object is complete; anything after that object
 *     (CodeBuddy's {@code {..}{..}}) is dropped with a WARN.</td></tr>
 * <tr><td>arguments never complete</td><td>blank → input {} (no delta); finish_reason {@code length} → the raw partial
 *     text as one delta (what Anthropic does on max_tokens); otherwise → {@code event: error} (api_error): input is
 *     never invented.</td></tr>
 * <tr><td>end</td><td>{@code [DONE]}, a usage-only chunk after the finish_reason, or EOF after a finish_reason →
 *     remaining calls in order, held text, {@code message_delta} (stop_reason, stop_sequence, input/cache/output
 *     tokens) and {@code message_stop}. Chunks after that are ignored.</td></tr>
 * <tr><td>failures</td><td>{@code {"error":…}} chunk, invalid JSON, finish_reason {@code error}
 *     ({@code insufficient_system_resource} → overloaded_error), EOF with neither finish_reason nor [DONE], or
 *     {@link #onUpstreamFailure} → {@code event: error}, no message_stop.</td></tr>
 * </table>
 *
 * <p>This class applies the rules; its parts do the rest: {@link ChunkReader} reads each payload,
 * {@link ToolCallAssembler} puts tool-call fragments together, {@link StopMatcher} matches stop sequences,
 * {@link StreamUsage} keeps the usage, and {@link AnthropicEventWriter} writes the events and keeps their order valid.
 */
public final class StreamTranslator {

    private static final Logger LOG = LoggerFactory.getLogger(StreamTranslator.class);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final String messageId;
    private final List<String> stopSequences;
    private final StopMatcher stopMatcher;
    private final StreamUsage usage;
    private final AnthropicEventWriter events;
    private final ToolCallAssembler calls;
    private final ToolUseBlocks toolUses;
    /** Text that arrived once a tool call existed: sent after the tool_use blocks. */
    private final StringBuilder heldText = new StringBuilder();

    private String signature;
    private boolean reasoningDropWarned;

    private String finishReason;
    private String vllmStop;
    private boolean sawDone;
    private boolean refusal;
    private Usage finalUsage;

    public StreamTranslator(
            AnthropicEventSink sink,
            String clientModel,
            ToolNameMap names,
            List<String> stopSequences,
            OpenAiDialect d,
            String messageId,
            int estimatedInputTokens) {
        this(
                sink,
                clientModel,
                names,
                stopSequences,
                d,
                messageId,
                () -> estimatedInputTokens,
                true,
                TokenCounter.shared());
    }

    /**
     * {@code inputEstimate} is asked at most once: for {@code message_start} when {@code inputInStart}, else only at
     * the end when the upstream reported no {@code prompt_tokens}. Without {@code inputInStart} message_start carries
     * input_tokens 0 — only for a sink that takes the final usage from message_delta (the accumulator of a non-stream
     * client), where message_delta always carries all four figures.
     */
    StreamTranslator(
            AnthropicEventSink sink,
            String clientModel,
            ToolNameMap names,
            List<String> stopSequences,
            OpenAiDialect d,
            String messageId,
            LongSupplier inputEstimate,
            boolean inputInStart,
            TokenCounter tokens) {
        this(sink, clientModel, names, stopSequences, d, messageId, inputEstimate, inputEstimate, inputInStart, tokens);
    }

    /**
     * As above, with a separate {@code finalInputEstimate} for the end of a stream whose upstream reported no
     * {@code prompt_tokens}: message_start can then carry a quick estimate, and only a stream that needs it pays for
     * the exact count.
     */
    StreamTranslator(
            AnthropicEventSink sink,
            String clientModel,
            ToolNameMap names,
            List<String> stopSequences,
            OpenAiDialect d,
            String messageId,
            LongSupplier inputEstimate,
            LongSupplier finalInputEstimate,
            boolean inputInStart,
            TokenCounter tokens) {
        this.messageId = messageId;
        this.stopSequences = stopSequences == null ? List.of() : List.copyOf(stopSequences);
        this.stopMatcher = new StopMatcher(this.stopSequences);
        this.usage = new StreamUsage(inputEstimate, finalInputEstimate, tokens);
        this.events =
                new AnthropicEventWriter(sink, messageId, clientModel, () -> inputInStart ? usage.inputEstimate() : 0);
        this.calls = new ToolCallAssembler(names == null ? ToolNameMap.identity() : names);
        this.toolUses = new ToolUseBlocks(events, calls, usage, messageId);
    }

    /** Emits {@code message_start} now if not yet done (to commit the response before the first chunk). */
    public void start() {
        events.start();
    }

    /** Each SSE {@code data:} payload of the upstream (JSON chunk, or "[DONE]"). */
    public void onData(String data) {
        if (data != null) {
            byte[] b = data.getBytes(StandardCharsets.UTF_8);
            onData(b, 0, b.length);
        }
    }

    /** The same, as the UTF-8 bytes at {@code [off, off + len)}, read during this call only. */
    public void onData(byte[] data, int off, int len) {
        if (events.ended()) {
            return;
        }
        try {
            switch (ChunkReader.read(data, off, len)) {
                case ChunkReader.Blank b -> {}
                case ChunkReader.Done d -> {
                    sawDone = true;
                    complete();
                }
                case ChunkReader.Invalid bad ->
                    events.fail(
                            "api_error",
                            "upstream sent a stream chunk that is not a JSON object: "
                                    + ToolUseBlocks.abbreviate(bad.text()));
                case ChunkReader.Parsed chunk -> handle(chunk.root());
            }
        } catch (RuntimeException e) {
            LOG.warn("stream translation failed", e);
            events.fail(
                    "api_error",
                    "internal error while translating the upstream stream: "
                            + e.getClass().getSimpleName());
        }
    }

    /** Upstream body ended (EOF): final events, or {@code event: error} if neither a finish_reason nor [DONE] was seen. */
    public void onUpstreamEnd() {
        if (events.ended()) {
            return;
        }
        try {
            if (finishReason != null || sawDone) {
                complete();
            } else {
                events.fail("api_error", "upstream stream ended before the response was complete (no finish_reason)");
            }
        } catch (RuntimeException e) {
            LOG.warn("stream translation failed at end", e);
            events.fail(
                    "api_error",
                    "internal error while translating the upstream stream: "
                            + e.getClass().getSimpleName());
        }
    }

    /** Connection reset etc. → {@code event: error} (api_error) unless already finished. */
    public void onUpstreamFailure(String message) {
        events.fail("api_error", "upstream connection failed: " + message);
    }

    /** message_stop or error emitted. */
    public boolean finished() {
        return events.ended();
    }

    /** A content_block_start was emitted (failover is only invisible before this). */
    public boolean contentStarted() {
        return events.contentStarted();
    }

    /** Anthropic-semantics usage: final figures once finished normally, else the best current estimate. */
    public Usage usage() {
        return finalUsage != null ? finalUsage : usage.now(0);
    }

    // ------------------------------------------------------------------ chunk handling

    private void handle(JsonNode root) {
        JsonNode err = root.get("error");
        if (err != null && !err.isNull()) {
            AnthropicError ae = err.isObject()
                    ? ErrorMapper.fromStreamError(err)
                    : new AnthropicError(500, "api_error", err.asText(), Optional.empty());
            events.fail(ae.type(), ae.message());
            return;
        }
        events.start();
        JsonNode u = UsageMapper.usageNode(root);
        if (u != null) {
            usage.reported(u);
        }
        JsonNode choice = firstChoice(root);
        if (choice == null) {
            if (u != null && finishReason != null) {
                complete(); // OpenAI: usage-only chunk after the finish chunk
            }
            return;
        }
        JsonNode delta = choice.path("delta");
        reasoning(delta);
        String content = ChunkReader.text(delta.get("content"));
        if (!content.isEmpty()) {
            text(content);
        }
        String ref = ChunkReader.text(delta.get("refusal"));
        if (!ref.isEmpty()) {
            refusal = true;
            text(ref);
        }
        JsonNode tcs = delta.get("tool_calls");
        if (tcs != null && tcs.isArray() && !tcs.isEmpty()) {
            toolCalls(tcs);
        }
        finishReason(choice);
    }

    private static JsonNode firstChoice(JsonNode root) {
        for (JsonNode c : root.path("choices")) {
            if (c.path("index").asInt(0) == 0) {
                return c;
            }
        }
        return null;
    }

    private void finishReason(JsonNode choice) {
        JsonNode fr = choice.get("finish_reason");
        if (fr == null || !fr.isTextual() || fr.asText().isEmpty()) {
            return;
        }
        finishReason = fr.asText();
        if (choice.path("stop_reason").isTextual()) {
            vllmStop = choice.get("stop_reason").asText();
        }
        if ("error".equals(finishReason)) {
            events.fail(
                    "api_error",
                    "upstream ended the response with finish_reason error"
                            + (choice.path("native_finish_reason").isTextual()
                                    ? " (" + choice.get("native_finish_reason").asText() + ")"
                                    : ""));
        } else if ("insufficient_system_resource".equals(finishReason)) {
            events.fail(
                    "overloaded_error", "upstream ran out of capacity (finish_reason insufficient_system_resource)");
        }
    }

    private void reasoning(JsonNode delta) {
        ChunkReader.Reasoning reasoning = ChunkReader.reasoning(delta);
        String r = reasoning.text();
        String sig = reasoning.signature();
        boolean thinkingAllowed =
                !events.answerStarted() && calls.isEmpty() && heldText.isEmpty() && stopMatcher.matched() == null;
        if (!r.isEmpty()) {
            thinking(r, thinkingAllowed);
        }
        if (sig != null && (events.open() == Block.THINKING || thinkingAllowed)) {
            signature = sig;
        }
    }

    /** Reasoning after any text or tool call has begun is dropped: thinking after text breaks Claude Code. */
    private void thinking(String r, boolean allowed) {
        if (!allowed) {
            if (!reasoningDropWarned) {
                reasoningDropWarned = true;
                LOG.warn(
                        "upstream reasoning after text/tool output dropped (thinking must come first) in {}",
                        messageId);
            }
            return;
        }
        if (events.open() != Block.THINKING) {
            closeOpen();
            events.openBlock(
                    Block.THINKING,
                    F.objectNode().put("type", "thinking").put("thinking", "").put("signature", ""));
        }
        events.delta("thinking_delta", "thinking", r);
        usage.countOutput(r);
    }

    private void text(String t) {
        if (stopMatcher.matched() != null) {
            return;
        }
        if (!calls.isEmpty()) {
            heldText.append(t);
            return;
        }
        emitText(stopMatcher.feed(t));
        if (stopMatcher.matched() != null) {
            closeOpen();
        }
    }

    private void emitText(String s) {
        if (s.isEmpty()) {
            return;
        }
        if (events.open() != Block.TEXT) {
            closeOpen();
            events.openBlock(Block.TEXT, F.objectNode().put("type", "text").put("text", ""));
        }
        events.delta("text_delta", "text", s);
        usage.countOutput(s);
    }

    // ------------------------------------------------------------------ tool calls

    private void toolCalls(JsonNode tcs) {
        if (stopMatcher.matched() != null) {
            return;
        }
        for (int pos = 0; pos < tcs.size(); pos++) {
            JsonNode tc = tcs.get(pos);
            if (tc.isObject()) {
                toolUses.arguments(
                        calls.merge(tc, pos, tcs.size()), tc.path("function").get("arguments"));
            }
        }
        toolUses.pump(this::closeOpen);
    }

    // ------------------------------------------------------------------ end

    private void complete() {
        if (events.ended()) {
            return;
        }
        events.start();
        if (!toolUses.finishAll(finishReason, this::closeOpen)) {
            return;
        }
        if (!heldText.isEmpty() && stopMatcher.matched() == null) {
            String t = heldText.toString();
            heldText.setLength(0);
            emitText(stopMatcher.feed(t));
        }
        closeOpen();
        String stopSeq = stopMatcher.matched() != null
                ? stopMatcher.matched()
                : vllmStop != null && stopSequences.contains(vllmStop) ? vllmStop : null;
        String stopReason =
                stopSeq != null ? "stop_sequence" : StopReasons.of(finishReason, calls.anyOpened(), refusal);
        finalUsage = usage.now(1);
        ObjectNode md = F.objectNode().put("type", "message_delta");
        ObjectNode dl = md.putObject("delta").put("stop_reason", stopReason);
        if (stopSeq == null) {
            dl.putNull("stop_sequence");
        } else {
            dl.put("stop_sequence", stopSeq);
        }
        md.set("usage", StreamUsage.json(finalUsage));
        events.end(md);
    }

    /** Closes the open text/thinking block (flushing held-back text / the signature). Tool blocks close via finishCall. */
    private void closeOpen() {
        switch (events.open()) {
            case TEXT -> {
                String rest = stopMatcher.matched() == null ? stopMatcher.flush() : "";
                if (!rest.isEmpty()) {
                    events.delta("text_delta", "text", rest);
                    usage.countOutput(rest);
                }
                events.stopBlock();
            }
            case THINKING -> {
                events.delta("signature_delta", "signature", signature == null ? "" : signature);
                events.stopBlock();
            }
            case TOOL -> toolUses.closeLive(finishReason); // only when a tool block must give way
            case NONE -> {}
        }
    }
}
