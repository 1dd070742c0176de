package org.anthropicproxy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.anthropicproxy.testkit.RecordedRequest;
import org.anthropicproxy.testkit.UpstreamScript;

/**
 * The conversation the suite has Claude Code hold: turn 1 the upstream asks for Claude Code's own Bash tool (name and
 * schema taken from the request's {@code tools}) to run a command whose output is a fresh marker; turn 2, once the
 * request carries the {@code tool_result}, it answers with a text quoting that result. The command spells the marker
 * in two pieces, so the marker can only reach the final answer if Claude Code really ran the command.
 *
 * <p>Requests without the Bash tool (side requests) get a short text answer. Every answer is in the upstream's own
 * wire format: Anthropic SSE events, or OpenAI chat.completion.chunk lines ending with {@code data: [DONE]}.
 */
final class BashToolScenario {

    static final String QUOTA_EXHAUSTED_BODY =
            "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"本周额度已用尽 (weekly limit reached)\"}}";

    private static final ObjectMapper JSON = new ObjectMapper();

    final String marker;
    final String command;
    final String toolUseId;
    final String callId;
    private final String nonce;
    /** What each simulator did, in order: "tool_use", "final", "side", "quota-429". */
    final List<String> steps = new CopyOnWriteArrayList<>();

    BashToolScenario() {
        nonce = HexFormat.of()
                .toHexDigits(ThreadLocalRandom.current().nextLong())
                .substring(0, 10);
        marker = "e2e-marker-" + nonce;
        command = "printf '%s-%s\\n' e2e-marker " + nonce;
        toolUseId = "toolu_e2e" + nonce;
        callId = "call_e2e" + nonce;
    }

    String finalText(String toolOutput) {
        return "The command printed: " + toolOutput.strip();
    }

    // ---------------------------------------------------------------- Anthropic-format upstream

    /** Native upstream: tool_use, then the final text. */
    Function<RecordedRequest, UpstreamScript> anthropic() {
        return anthropic(false);
    }

    /** Native upstream that serves turn 1 and then has no quota left (429 with the gateway's weekly-limit body). */
    Function<RecordedRequest, UpstreamScript> anthropicThenQuotaExhausted() {
        return anthropic(true);
    }

    private Function<RecordedRequest, UpstreamScript> anthropic(boolean exhaustedAfterToolUse) {
        return r -> {
            JsonNode req = r.json();
            String model = req.path("model").asText("claude");
            JsonNode bash = findTool(req.path("tools"), t -> t.path("name").asText());
            String toolOutput = anthropicToolResult(req.path("messages"));
            if (bash != null && toolOutput == null) {
                steps.add("native:tool_use");
                return UpstreamScript.sse(
                        anthropicToolUseStream(model, bash.path("name").asText(), bash.path("input_schema")));
            }
            if (toolOutput != null && exhaustedAfterToolUse) {
                steps.add("native:quota-429");
                return UpstreamScript.json(429, QUOTA_EXHAUSTED_BODY);
            }
            steps.add(toolOutput != null ? "native:final" : "native:side");
            String text = toolOutput != null ? finalText(toolOutput) : "ok";
            return req.path("stream").asBoolean()
                    ? UpstreamScript.sse(anthropicTextStream(model, text))
                    : UpstreamScript.json(200, anthropicTextMessage(model, text));
        };
    }

    String anthropicToolUseStream(String model, String toolName, JsonNode schema) {
        StringBuilder sb = new StringBuilder();
        event(sb, "message_start", obj().put("type", "message_start").set("message", messageShell(model, 2048)));
        event(
                sb,
                "content_block_start",
                obj().put("type", "content_block_start")
                        .put("index", 0)
                        .set("content_block", obj().put("type", "text").put("text", "")));
        textDelta(sb, 0, "I'll run ");
        textDelta(sb, 0, "the command.");
        event(sb, "content_block_stop", obj().put("type", "content_block_stop").put("index", 0));
        event(sb, "ping", obj().put("type", "ping"));
        event(
                sb,
                "content_block_start",
                obj().put("type", "content_block_start")
                        .put("index", 1)
                        .set(
                                "content_block",
                                obj().put("type", "tool_use")
                                        .put("id", toolUseId)
                                        .put("name", toolName)
                                        .set("input", obj())));
        jsonDelta(sb, 1, "");
        for (String fragment : fragments(bashInput(schema).toString(), 4)) {
            jsonDelta(sb, 1, fragment);
        }
        event(sb, "content_block_stop", obj().put("type", "content_block_stop").put("index", 1));
        event(sb, "message_delta", messageDelta("tool_use", 57));
        event(sb, "message_stop", obj().put("type", "message_stop"));
        return sb.toString();
    }

    String anthropicTextStream(String model, String text) {
        StringBuilder sb = new StringBuilder();
        event(sb, "message_start", obj().put("type", "message_start").set("message", messageShell(model, 2200)));
        event(
                sb,
                "content_block_start",
                obj().put("type", "content_block_start")
                        .put("index", 0)
                        .set("content_block", obj().put("type", "text").put("text", "")));
        for (String fragment : fragments(text, 3)) {
            textDelta(sb, 0, fragment);
        }
        event(sb, "content_block_stop", obj().put("type", "content_block_stop").put("index", 0));
        event(sb, "message_delta", messageDelta("end_turn", 19));
        event(sb, "message_stop", obj().put("type", "message_stop"));
        return sb.toString();
    }

    private String anthropicTextMessage(String model, String text) {
        ObjectNode m = messageShell(model, 20);
        ((ArrayNode) m.get("content")).add(obj().put("type", "text").put("text", text));
        m.put("stop_reason", "end_turn");
        ((ObjectNode) m.get("usage")).put("output_tokens", 2);
        return m.toString();
    }

    private ObjectNode messageShell(String model, int inputTokens) {
        ObjectNode m = obj().put("id", "msg_e2e" + nonce + steps.size())
                .put("type", "message")
                .put("role", "assistant")
                .put("model", model);
        m.set("content", JSON.createArrayNode());
        m.putNull("stop_reason");
        m.putNull("stop_sequence");
        m.set(
                "usage",
                obj().put("input_tokens", inputTokens)
                        .put("cache_creation_input_tokens", 0)
                        .put("cache_read_input_tokens", 0)
                        .put("output_tokens", 1));
        return m;
    }

    private static ObjectNode messageDelta(String stopReason, int outputTokens) {
        ObjectNode d = obj().put("type", "message_delta");
        ObjectNode delta = obj().put("stop_reason", stopReason);
        delta.putNull("stop_sequence");
        d.set("delta", delta);
        d.set("usage", obj().put("output_tokens", outputTokens));
        return d;
    }

    private static void textDelta(StringBuilder sb, int index, String text) {
        event(
                sb,
                "content_block_delta",
                obj().put("type", "content_block_delta")
                        .put("index", index)
                        .set("delta", obj().put("type", "text_delta").put("text", text)));
    }

    private static void jsonDelta(StringBuilder sb, int index, String partial) {
        event(
                sb,
                "content_block_delta",
                obj().put("type", "content_block_delta")
                        .put("index", index)
                        .set("delta", obj().put("type", "input_json_delta").put("partial_json", partial)));
    }

    private static void event(StringBuilder sb, String name, JsonNode data) {
        sb.append("event: ")
                .append(name)
                .append('\n')
                .append("data: ")
                .append(data)
                .append("\n\n");
    }

    /** The text of the tool_result answering our tool_use, or null when the request carries none. */
    String anthropicToolResult(JsonNode messages) {
        for (JsonNode m : messages) {
            for (JsonNode block : m.path("content")) {
                if ("tool_result".equals(block.path("type").asText())
                        && toolUseId.equals(block.path("tool_use_id").asText())) {
                    return contentText(block.path("content"));
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- OpenAI-format upstream

    /** CodeBuddy-like upstream (always streams): reasoning, then the Bash call in fragments; then the final text. */
    Function<RecordedRequest, UpstreamScript> openAi() {
        return r -> {
            JsonNode req = r.json();
            String model = req.path("model").asText("gpt");
            JsonNode bash = findTool(
                    req.path("tools"), t -> t.path("function").path("name").asText());
            String toolOutput = openAiToolResult(req.path("messages"));
            if (bash != null && toolOutput == null) {
                steps.add("openai:tool_calls");
                return UpstreamScript.sse(openAiToolCallStream(
                        model,
                        bash.path("function").path("name").asText(),
                        bashInput(bash.path("function").path("parameters")).toString()));
            }
            steps.add(toolOutput != null ? "openai:final" : "openai:side");
            return UpstreamScript.sse(openAiTextStream(model, toolOutput != null ? finalText(toolOutput) : "ok"));
        };
    }

    String openAiToolCallStream(String model, String toolName, String arguments) {
        StringBuilder sb = new StringBuilder();
        String id = "chatcmpl-e2e" + nonce;
        chunk(sb, id, model, obj().put("role", "assistant").put("content", ""), null);
        for (String r : List.of("The user wants", " me to run a", " shell command; I'll", " use Bash.")) {
            chunk(sb, id, model, obj().put("reasoning_content", r), null);
        }
        ObjectNode first = obj().put("index", 0).put("id", callId).put("type", "function");
        first.set("function", obj().put("name", toolName).put("arguments", ""));
        chunk(sb, id, model, toolCallsDelta(first), null);
        for (String fragment : fragments(arguments, 5)) {
            ObjectNode next = obj().put("index", 0);
            next.set("function", obj().put("arguments", fragment));
            chunk(sb, id, model, toolCallsDelta(next), null);
        }
        chunk(sb, id, model, obj(), "tool_calls");
        usageChunk(sb, id, model, 2300, 41);
        sb.append("data: [DONE]\n\n");
        return sb.toString();
    }

    String openAiTextStream(String model, String text) {
        StringBuilder sb = new StringBuilder();
        String id = "chatcmpl-e2e" + nonce + "t";
        chunk(sb, id, model, obj().put("role", "assistant").put("content", ""), null);
        for (String fragment : fragments(text, 3)) {
            chunk(sb, id, model, obj().put("content", fragment), null);
        }
        chunk(sb, id, model, obj(), "stop");
        usageChunk(sb, id, model, 2400, 17);
        sb.append("data: [DONE]\n\n");
        return sb.toString();
    }

    private static ObjectNode toolCallsDelta(ObjectNode call) {
        ObjectNode d = obj();
        d.set("tool_calls", JSON.createArrayNode().add(call));
        return d;
    }

    private static void chunk(StringBuilder sb, String id, String model, ObjectNode delta, String finishReason) {
        ObjectNode choice = obj().put("index", 0);
        choice.set("delta", delta);
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        ObjectNode c = chunkShell(id, model);
        c.set("choices", JSON.createArrayNode().add(choice));
        sb.append("data: ").append(c).append("\n\n");
    }

    private static void usageChunk(StringBuilder sb, String id, String model, int prompt, int completion) {
        ObjectNode c = chunkShell(id, model);
        c.set("choices", JSON.createArrayNode());
        c.set(
                "usage",
                obj().put("prompt_tokens", prompt)
                        .put("completion_tokens", completion)
                        .put("total_tokens", prompt + completion));
        sb.append("data: ").append(c).append("\n\n");
    }

    private static ObjectNode chunkShell(String id, String model) {
        return obj().put("id", id)
                .put("object", "chat.completion.chunk")
                .put("created", 1764150000L)
                .put("model", model);
    }

    /** The content of the tool message answering our call, or null when the request carries none. */
    String openAiToolResult(JsonNode messages) {
        for (JsonNode m : messages) {
            if ("tool".equals(m.path("role").asText())
                    && m.path("tool_call_id").asText().endsWith(nonce)) {
                return contentText(m.path("content"));
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- shared

    /** The Bash tool's input: {@code command} and, when the schema has one, a {@code description}. */
    ObjectNode bashInput(JsonNode schema) {
        ObjectNode in = obj().put("command", command);
        if (schema.path("properties").has("description")) {
            in.put("description", "Print the end-to-end marker");
        }
        return in;
    }

    private static JsonNode findTool(JsonNode tools, Function<JsonNode, String> name) {
        for (JsonNode t : tools) {
            if ("Bash".equals(name.apply(t))) {
                return t;
            }
        }
        return null;
    }

    private static String contentText(JsonNode content) {
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode part : content) {
            if (part.has("text")) {
                sb.append(part.path("text").asText());
            }
        }
        return sb.toString();
    }

    /** Splits {@code s} into {@code n} pieces of roughly equal length (never splitting a surrogate pair). */
    static List<String> fragments(String s, int n) {
        List<String> out = new ArrayList<>();
        int size = Math.max(1, (s.length() + n - 1) / n);
        int i = 0;
        while (i < s.length()) {
            int end = Math.min(s.length(), i + size);
            if (end < s.length() && Character.isHighSurrogate(s.charAt(end - 1))) {
                end++;
            }
            out.add(s.substring(i, end));
            i = end;
        }
        return out;
    }

    private static ObjectNode obj() {
        return JSON.createObjectNode();
    }
}
