package org.anthropicproxy.provider.openai;

import org.anthropicproxy.provider.Usage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenAI Chat Completions stream chunks → one valid Anthropic event sequence (protocol.md §0 rule 1, §3.3). One
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
 */
public final class StreamTranslator {

    private static final Logger LOG = LoggerFactory.getLogger(StreamTranslator.class);
    private static final ObjectMapper JSON = org.anthropicproxy.json.Json.MAPPER; // the shared buffer pool
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Pattern NOT_ID_CHAR = Pattern.compile("[^A-Za-z0-9_-]");
    /** Output text kept for the no-usage estimate; beyond this the estimate scales by characters. */
    static final int OUTPUT_SAMPLE_CHARS = 256 * 1024;

    private enum Kind { NONE, THINKING, TEXT, TOOL }

    private static final class Call {
        final int seq;
        String id = "";
        String name = "";
        final ToolArguments args = new ToolArguments();
        boolean started;
        boolean stopped;

        Call(int seq) {
            this.seq = seq;
        }
    }

    private final AnthropicEventSink sink;
    private final String clientModel;
    private final ToolNameMap names;
    private final List<String> stopSequences;
    private final String messageId;
    private final LongSupplier inputEstimateSource;
    private final boolean inputInStart;
    private long inputEstimate = -1;
    private final LongSupplier finalInputEstimateSource;
    private long finalInputEstimate = -1;
    private final StopMatcher stopMatcher;
    private final TokenCounter tokens;

    private boolean started;
    private boolean finished;
    private boolean contentStarted;
    private Kind openKind = Kind.NONE;
    private int nextIndex;
    private boolean nonThinkingStarted;
    private String signature;
    private boolean reasoningDropWarned;

    private final Map<String, Call> calls = new LinkedHashMap<>();
    private final Map<Integer, String> keyByIndex = new HashMap<>();
    private final Map<String, String> keyById = new HashMap<>();
    private String lastKey;
    private Call live;
    private final StringBuilder heldText = new StringBuilder();
    private boolean toolEmitted;

    private String finishReason;
    private String vllmStop;
    private boolean sawDone;
    private boolean refusal;
    private JsonNode usageNode;
    /** The emitted output (thinking, text, tool arguments), counted once at the end only if the upstream has no usage. */
    private final StringBuilder outputSample = new StringBuilder();
    private long outputChars;
    private Usage finalUsage;
    private final StringBuilder eventText = new StringBuilder(256);

    public StreamTranslator(AnthropicEventSink sink, String clientModel, ToolNameMap names, List<String> stopSequences,
                            OpenAiDialect d, String messageId, int estimatedInputTokens) {
        this(sink, clientModel, names, stopSequences, d, messageId, () -> estimatedInputTokens, true, TokenCounter.shared());
    }

    /**
     * {@code inputEstimate} is asked at most once: for {@code message_start} when {@code inputInStart}, else only at
     * the end when the upstream reported no {@code prompt_tokens}. Without {@code inputInStart} message_start carries
     * input_tokens 0 — only for a sink that takes the final usage from message_delta (the accumulator of a non-stream
     * client), where message_delta always carries all four figures.
     */
    StreamTranslator(AnthropicEventSink sink, String clientModel, ToolNameMap names, List<String> stopSequences,
                     OpenAiDialect d, String messageId, LongSupplier inputEstimate, boolean inputInStart, TokenCounter tokens) {
        this(sink, clientModel, names, stopSequences, d, messageId, inputEstimate, inputEstimate, inputInStart, tokens);
    }

    /**
     * As above, with a separate {@code finalInputEstimate} for the end of a stream whose upstream reported no
     * {@code prompt_tokens}: message_start can then carry a quick estimate, and only a stream that needs it pays for
     * the exact count.
     */
    StreamTranslator(AnthropicEventSink sink, String clientModel, ToolNameMap names, List<String> stopSequences,
                     OpenAiDialect d, String messageId, LongSupplier inputEstimate, LongSupplier finalInputEstimate,
                     boolean inputInStart, TokenCounter tokens) {
        this.finalInputEstimateSource = finalInputEstimate;
        this.sink = sink;
        this.clientModel = clientModel;
        this.names = names == null ? ToolNameMap.identity() : names;
        this.stopSequences = stopSequences == null ? List.of() : List.copyOf(stopSequences);
        this.messageId = messageId;
        this.inputEstimateSource = inputEstimate;
        this.inputInStart = inputInStart;
        this.tokens = tokens;
        this.stopMatcher = new StopMatcher(this.stopSequences);
    }

    private long inputEstimate() {
        if (inputEstimate < 0) {
            inputEstimate = Math.max(0, inputEstimateSource.getAsLong());
        }
        return inputEstimate;
    }

    private long finalInputEstimate() {
        if (finalInputEstimateSource == inputEstimateSource) {
            return inputEstimate();
        }
        if (finalInputEstimate < 0) {
            finalInputEstimate = Math.max(0, finalInputEstimateSource.getAsLong());
        }
        return finalInputEstimate;
    }

    private void countOutput(String s) {
        outputChars += s.length();
        int room = OUTPUT_SAMPLE_CHARS - outputSample.length();
        if (room > 0) {
            outputSample.append(s, 0, Math.min(room, s.length()));
        }
    }

    /** Tokens of the emitted output, tokenized once (scaled by characters past the sample). */
    private long outputEstimate() {
        if (outputChars == 0) {
            return 0;
        }
        long sampled = tokens.countText(outputSample.toString());
        return outputChars <= outputSample.length() ? sampled : (long) Math.ceil((double) sampled * outputChars / outputSample.length());
    }

    private Usage usageNow(long minOutput) {
        long in = UsageMapper.hasInput(usageNode) ? 0 : finalInputEstimate();
        long out = UsageMapper.hasOutput(usageNode) ? 0 : Math.max(minOutput, outputEstimate());
        return UsageMapper.map(usageNode, in, out);
    }

    /** Emits {@code message_start} now if not yet done (to commit the response before the first chunk). */
    public void start() {
        if (!finished) {
            ensureStarted();
        }
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
        if (finished) {
            return;
        }
        try {
            handle(data, off, len);
        } catch (RuntimeException e) {
            LOG.warn("stream translation failed", e);
            fail("api_error", "internal error while translating the upstream stream: " + e.getClass().getSimpleName());
        }
    }

    /** Upstream body ended (EOF): final events, or {@code event: error} if neither a finish_reason nor [DONE] was seen. */
    public void onUpstreamEnd() {
        if (finished) {
            return;
        }
        try {
            if (finishReason != null || sawDone) {
                complete();
            } else {
                fail("api_error", "upstream stream ended before the response was complete (no finish_reason)");
            }
        } catch (RuntimeException e) {
            LOG.warn("stream translation failed at end", e);
            fail("api_error", "internal error while translating the upstream stream: " + e.getClass().getSimpleName());
        }
    }

    /** Connection reset etc. → {@code event: error} (api_error) unless already finished. */
    public void onUpstreamFailure(String message) {
        fail("api_error", "upstream connection failed: " + message);
    }

    /** message_stop or error emitted. */
    public boolean finished() {
        return finished;
    }

    /** A content_block_start was emitted (failover is only invisible before this). */
    public boolean contentStarted() {
        return contentStarted;
    }

    /** Anthropic-semantics usage: final figures once finished normally, else the best current estimate. */
    public Usage usage() {
        if (finalUsage != null) {
            return finalUsage;
        }
        return usageNow(0);
    }

    // ------------------------------------------------------------------ chunk handling

    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

    private void handle(byte[] data, int off, int len) {
        int from = off;
        int to = off + len;
        while (from < to && isSpace(data[from])) {
            from++;
        }
        while (to > from && isSpace(data[to - 1])) {
            to--;
        }
        if (from == to) {
            return; // data-only keep-alive
        }
        if (Arrays.equals(data, from, to, DONE, 0, DONE.length)) {
            sawDone = true;
            complete();
            return;
        }
        JsonNode root;
        try {
            root = readChunk(JSON.createParser(data, from, to - from));
        } catch (Exception e) {
            root = null;
        }
        if (root == null) {
            // bytes that are not UTF-8 fail the byte parser; as text they read with replacement characters, as
            // they always did
            String text = new String(data, from, to - from, StandardCharsets.UTF_8);
            try {
                root = readChunk(JSON.createParser(text));
            } catch (Exception e) {
                root = null;
            }
            if (root == null) {
                fail("api_error", "upstream sent a stream chunk that is not a JSON object: " + abbreviate(text));
                return;
            }
        }
        JsonNode err = root.get("error");
        if (err != null && !err.isNull()) {
            AnthropicError ae = err.isObject() ? ErrorMapper.fromStreamError(err)
                    : new AnthropicError(500, "api_error", err.asText(), java.util.Optional.empty());
            fail(ae.type(), ae.message());
            return;
        }
        ensureStarted();
        JsonNode u = UsageMapper.usageNode(root);
        if (u != null) {
            usageNode = u;
        }
        JsonNode choice = null;
        for (JsonNode c : root.path("choices")) {
            if (c.path("index").asInt(0) == 0) {
                choice = c;
                break;
            }
        }
        if (choice == null) {
            if (u != null && finishReason != null) {
                complete(); // OpenAI: usage-only chunk after the finish chunk
            }
            return;
        }
        JsonNode delta = choice.path("delta");
        reasoning(delta);
        String content = text(delta.get("content"));
        if (!content.isEmpty()) {
            text(content);
        }
        String ref = text(delta.get("refusal"));
        if (!ref.isEmpty()) {
            refusal = true;
            text(ref);
        }
        JsonNode tcs = delta.get("tool_calls");
        if (tcs != null && tcs.isArray() && !tcs.isEmpty()) {
            toolCalls(tcs);
        }
        JsonNode fr = choice.get("finish_reason");
        if (fr != null && fr.isTextual() && !fr.asText().isEmpty()) {
            finishReason = fr.asText();
            if (choice.path("stop_reason").isTextual()) {
                vllmStop = choice.get("stop_reason").asText();
            }
            if ("error".equals(finishReason)) {
                fail("api_error", "upstream ended the response with finish_reason error"
                        + (choice.path("native_finish_reason").isTextual() ? " (" + choice.get("native_finish_reason").asText() + ")" : ""));
            } else if ("insufficient_system_resource".equals(finishReason)) {
                fail("overloaded_error", "upstream ran out of capacity (finish_reason insufficient_system_resource)");
            }
        }
    }

    /**
     * The chunk as a tree of only the members {@link #handle} reads ({@code choices}, {@code usage}, {@code x_groq},
     * {@code error}); the rest ({@code id}, {@code model}, {@code obfuscation}…) is checked for syntax and skipped
     * without building nodes. Null when the chunk is not a JSON object.
     */
    private static JsonNode readChunk(com.fasterxml.jackson.core.JsonParser parser) throws java.io.IOException {
        try (com.fasterxml.jackson.core.JsonParser p = parser) {
            if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                return null;
            }
            ObjectNode root = F.objectNode();
            String name;
            while ((name = p.nextFieldName()) != null) {
                p.nextToken();
                switch (name) {
                    case "choices", "usage", "x_groq", "error" -> root.set(name, JSON.readTree(p));
                    default -> p.skipChildren();
                }
            }
            if (p.currentToken() != com.fasterxml.jackson.core.JsonToken.END_OBJECT) {
                return null;
            }
            return root;
        }
    }

    /** What {@link String#strip()} drops, as far as a JSON chunk's bytes can hold it (JSON's own whitespace). */
    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    private static String text(JsonNode n) {
        if (n == null || n.isNull()) {
            return "";
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode p : n) {
                if (p.path("text").isTextual()) {
                    sb.append(p.get("text").asText());
                }
            }
            return sb.toString();
        }
        return "";
    }

    private void reasoning(JsonNode delta) {
        String r = text(delta.get("reasoning_content"));
        if (r.isEmpty()) {
            r = text(delta.get("reasoning"));
        }
        if (r.isEmpty() && delta.path("thinking").isTextual()) {
            r = delta.get("thinking").asText();
        }
        String sig = null;
        StringBuilder detailText = new StringBuilder();
        for (JsonNode rd : delta.path("reasoning_details")) {
            String t = rd.path("type").asText("");
            if ("reasoning.text".equals(t) && rd.path("text").isTextual()) {
                detailText.append(rd.get("text").asText());
            } else if ("reasoning.summary".equals(t) && rd.path("summary").isTextual()) {
                detailText.append(rd.get("summary").asText());
            }
            if (rd.path("signature").isTextual() && !rd.get("signature").asText().isEmpty()) {
                sig = rd.get("signature").asText();
            }
        }
        if (r.isEmpty()) {
            r = detailText.toString();
        }
        boolean thinkingAllowed = !nonThinkingStarted && calls.isEmpty() && heldText.isEmpty() && stopMatcher.matched() == null;
        if (!r.isEmpty()) {
            if (!thinkingAllowed) {
                if (!reasoningDropWarned) {
                    reasoningDropWarned = true;
                    LOG.warn("upstream reasoning after text/tool output dropped (thinking must come first) in {}", messageId);
                }
            } else {
                if (openKind != Kind.THINKING) {
                    closeOpen();
                    openBlock(Kind.THINKING, block("thinking").put("thinking", "").put("signature", ""));
                }
                delta("thinking_delta", "thinking", r);
                countOutput(r);
            }
        }
        if (sig != null && (openKind == Kind.THINKING || thinkingAllowed)) {
            signature = sig;
        }
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
        if (openKind != Kind.TEXT) {
            closeOpen();
            openBlock(Kind.TEXT, block("text").put("text", ""));
        }
        delta("text_delta", "text", s);
        countOutput(s);
    }

    private void toolCalls(JsonNode tcs) {
        if (stopMatcher.matched() != null) {
            return;
        }
        for (int pos = 0; pos < tcs.size(); pos++) {
            JsonNode tc = tcs.get(pos);
            if (!tc.isObject()) {
                continue;
            }
            String id = tc.path("id").isTextual() ? tc.get("id").asText() : "";
            String key = keyFor(tc, id, pos, tcs.size());
            Call c = calls.computeIfAbsent(key, k -> new Call(calls.size()));
            lastKey = key;
            if (!id.isEmpty() && c.id.isEmpty()) {
                c.id = id;
                keyById.put(id, key);
            }
            JsonNode fn = tc.path("function");
            String name = fn.path("name").isTextual() ? fn.get("name").asText() : "";
            if (!name.isEmpty() && c.name.isEmpty()) {
                c.name = names.toClient(name);
            }
            JsonNode args = fn.get("arguments");
            if (args != null && args.isTextual() && !args.asText().isEmpty()) {
                boolean wasComplete = c.args.complete();
                String fragment = args.asText();
                c.args.append(fragment);
                countOutput(fragment);
                if (wasComplete && !c.args.extra().isBlank() && c.stopped) {
                    LOG.warn("tool call {} ({}) got arguments after its JSON object was complete; dropped: {}", c.id, c.name, abbreviate(c.args.extra()));
                }
            } else if (args != null && args.isObject()) {
                c.args.append(args.toString()); // lenient: an object instead of a JSON string
            }
        }
        pump();
    }

    private String keyFor(JsonNode tc, String id, int pos, int count) {
        JsonNode idx = tc.get("index");
        if (idx != null && idx.canConvertToInt() && idx.isNumber()) {
            int i = idx.asInt();
            String key = keyByIndex.get(i);
            if (key != null) {
                Call known = calls.get(key);
                if (!id.isEmpty() && !known.id.isEmpty() && !id.equals(known.id) && !keyById.containsKey(id)) {
                    key = null; // same index reused for a different call
                }
            }
            if (key == null) {
                key = "i" + i + "#" + calls.size();
                keyByIndex.put(i, key);
            }
            return key;
        }
        if (!id.isEmpty()) {
            return keyById.getOrDefault(id, "id#" + calls.size());
        }
        if (count > 1) {
            return "p" + pos;
        }
        return lastKey != null ? lastKey : "p0";
    }

    /** Starts and completes calls in order as far as their buffered arguments allow. */
    private void pump() {
        while (!finished) {
            if (live != null) {
                if (!live.args.complete()) {
                    return;
                }
                if (!finishCall(live, false)) {
                    return;
                }
                live = null;
            }
            Call next = nextPending();
            if (next == null || next.name.isEmpty()) {
                return;
            }
            startCall(next);
            live = next;
        }
    }

    private Call nextPending() {
        for (Call c : calls.values()) {
            if (!c.stopped) {
                return c;
            }
        }
        return null;
    }

    private void startCall(Call c) {
        closeOpen();
        if (c.id.isEmpty()) {
            c.id = "toolu_" + (messageId.startsWith("msg_") ? messageId.substring(4) : messageId) + "_" + c.seq;
        }
        c.id = safeId(c.id);
        openBlock(Kind.TOOL, block("tool_use").put("id", c.id).put("name", c.name).set("input", F.objectNode()));
        c.started = true;
        toolEmitted = true;
    }

    /** Emits the call's input and stops its block; false when the stream failed instead. */
    private boolean finishCall(Call c, boolean atEnd) {
        ToolArguments a = c.args;
        if (a.complete()) {
            String obj = a.text();
            if (!isJsonObject(obj)) {
                fail("api_error", "upstream sent invalid JSON arguments for tool call " + c.id + " (" + c.name + "): " + abbreviate(obj));
                return false;
            }
            delta("input_json_delta", "partial_json", obj);
            if (!a.extra().isBlank()) {
                LOG.warn("tool call {} ({}) streamed more than one JSON object; kept the first, dropped: {}", c.id, c.name, abbreviate(a.extra()));
            }
        } else if (atEnd && !a.blank()) {
            if ("length".equals(finishReason)) {
                delta("input_json_delta", "partial_json", a.text());
            } else {
                fail("api_error", "upstream ended tool call " + c.id + " (" + c.name + ") with incomplete JSON arguments: " + abbreviate(a.text()));
                return false;
            }
        }
        stopOpen();
        c.stopped = true;
        return true;
    }

    /** Characters outside {@code [A-Za-z0-9_-]} become {@code _} (no regex for the usual id that needs none). */
    static String safeId(String id) {
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return NOT_ID_CHAR.matcher(id).replaceAll("_");
            }
        }
        return id;
    }

    private static boolean isJsonObject(String s) {
        try {
            JsonNode n = JSON.readTree(s);
            return n != null && n.isObject();
        } catch (Exception e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ end

    private void complete() {
        if (finished) {
            return;
        }
        ensureStarted();
        for (Call c : new ArrayList<>(calls.values())) {
            if (c.stopped) {
                continue;
            }
            if (c.name.isEmpty()) {
                LOG.warn("upstream tool call {} never got a name; dropped (arguments: {})", c.id, abbreviate(c.args.text()));
                c.stopped = true;
                continue;
            }
            if (!c.started) {
                startCall(c);
            }
            if (!finishCall(c, true)) {
                return;
            }
        }
        live = null;
        if (!heldText.isEmpty() && stopMatcher.matched() == null) {
            String t = heldText.toString();
            heldText.setLength(0);
            emitText(stopMatcher.feed(t));
        }
        closeOpen();
        String stopReason;
        String stopSeq = null;
        if (stopMatcher.matched() != null) {
            stopReason = "stop_sequence";
            stopSeq = stopMatcher.matched();
        } else if (vllmStop != null && stopSequences.contains(vllmStop)) {
            stopReason = "stop_sequence";
            stopSeq = vllmStop;
        } else {
            stopReason = stopReason(finishReason, toolEmitted, refusal);
        }
        finalUsage = usageNow(1);
        ObjectNode md = F.objectNode().put("type", "message_delta");
        ObjectNode dl = md.putObject("delta").put("stop_reason", stopReason);
        if (stopSeq == null) {
            dl.putNull("stop_sequence");
        } else {
            dl.put("stop_sequence", stopSeq);
        }
        md.set("usage", usageJson(finalUsage));
        emit("message_delta", md);
        emit("message_stop", F.objectNode().put("type", "message_stop"));
        finished = true;
    }

    static String stopReason(String finishReason, boolean toolEmitted, boolean refusal) {
        if (finishReason == null) {
            return toolEmitted ? "tool_use" : refusal ? "refusal" : "end_turn";
        }
        return switch (finishReason) {
            case "length" -> "max_tokens";
            case "tool_calls", "function_call" -> toolEmitted ? "tool_use" : "end_turn";
            case "content_filter" -> "refusal";
            default -> toolEmitted ? "tool_use" : refusal ? "refusal" : "end_turn";
        };
    }

    static ObjectNode usageJson(Usage u) {
        return F.objectNode()
                .put("input_tokens", u.inputTokens())
                .put("cache_creation_input_tokens", u.cacheWriteTokens())
                .put("cache_read_input_tokens", u.cacheReadTokens())
                .put("output_tokens", u.outputTokens());
    }

    // ------------------------------------------------------------------ events

    private void ensureStarted() {
        if (started) {
            return;
        }
        started = true;
        ObjectNode ev = F.objectNode().put("type", "message_start");
        ObjectNode m = ev.putObject("message");
        m.put("id", messageId).put("type", "message").put("role", "assistant").put("model", clientModel);
        m.putArray("content");
        m.putNull("stop_reason");
        m.putNull("stop_sequence");
        m.set("usage", usageJson(new Usage(inputInStart ? inputEstimate() : 0, 1, 0, 0)));
        emit("message_start", ev);
    }

    private ObjectNode block(String type) {
        return F.objectNode().put("type", type);
    }

    private void openBlock(Kind kind, ObjectNode contentBlock) {
        ensureStarted();
        ObjectNode ev = F.objectNode().put("type", "content_block_start").put("index", nextIndex);
        ev.set("content_block", contentBlock);
        emit("content_block_start", ev);
        openKind = kind;
        contentStarted = true;
        if (kind != Kind.THINKING) {
            nonThinkingStarted = true;
        }
    }

    /** The most frequent event, written as text (same bytes as the tree's serialization, see {@link JsonText}). */
    private void delta(String deltaType, String field, String value) {
        if (finished) {
            return;
        }
        StringBuilder sb = eventText;
        sb.setLength(0);
        sb.append("{\"type\":\"content_block_delta\",\"index\":").append(nextIndex)
                .append(",\"delta\":{\"type\":\"").append(deltaType).append("\",\"").append(field).append("\":");
        JsonText.quote(sb, value).append("}}");
        sink.event("content_block_delta", sb.toString());
    }

    /** Closes the open text/thinking block (flushing held-back text / the signature). Tool blocks close via finishCall. */
    private void closeOpen() {
        switch (openKind) {
            case TEXT -> {
                String rest = stopMatcher.matched() == null ? stopMatcher.flush() : "";
                if (!rest.isEmpty()) {
                    delta("text_delta", "text", rest);
                    countOutput(rest);
                }
                stopOpen();
            }
            case THINKING -> {
                delta("signature_delta", "signature", signature == null ? "" : signature);
                stopOpen();
            }
            case TOOL -> {
                // only reached when a tool block must give way; finishCall normally closes it
                if (live != null) {
                    finishCall(live, true);
                    live = null;
                } else {
                    stopOpen();
                }
            }
            case NONE -> {
            }
        }
    }

    private void stopOpen() {
        if (!finished) {
            sink.event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" + nextIndex + "}");
        }
        nextIndex++;
        openKind = Kind.NONE;
    }

    private void fail(String type, String message) {
        if (finished) {
            return;
        }
        ObjectNode ev = F.objectNode().put("type", "error");
        ev.putObject("error").put("type", type).put("message", message);
        emit("error", ev);
        finished = true;
    }

    private void emit(String type, ObjectNode ev) {
        if (finished) {
            return; // nothing may follow message_stop or error
        }
        sink.event(type, ev.toString());
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
