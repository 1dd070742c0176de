package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.function.LongSupplier;
import org.anthropicproxy.provider.Usage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Non-streaming Chat Completion → Anthropic Message, with the same rules as
 * {@link StreamTranslator}: thinking first (from {@code reasoning_content} / {@code reasoning} /
 * {@code reasoning_details}; signature = the upstream's or ""), then text ({@code content}, or {@code refusal} →
 * stop_reason refusal) cut at the first client stop string, then one tool_use per tool call (id kept, name mapped
 * back, input = the first JSON object of {@code arguments}; extra objects dropped with a WARN). Arguments that are
 * not a JSON object: with finish_reason {@code length} the call is left out (stop_reason max_tokens says why);
 * otherwise {@link UpstreamProtocolException} (caller answers 502 api_error) — input is never made up.
 * {@code id} = {@code msg_} + the completion id; {@code model} = the client's model.
 */
public final class ResponseMapper {

    private static final Logger LOG = LoggerFactory.getLogger(ResponseMapper.class);
    private static final ObjectMapper JSON = org.anthropicproxy.json.Json.MAPPER; // the shared buffer pool
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final TokenCounter tokens;

    public ResponseMapper(OpenAiDialect d) {
        // the dialect carries nothing the response side needs today; kept for symmetry and future vendor switches
        this(d, TokenCounter.shared());
    }

    ResponseMapper(OpenAiDialect d, TokenCounter tokens) {
        this.tokens = tokens;
    }

    public ObjectNode toAnthropic(
            JsonNode completion, String clientModel, ToolNameMap names, List<String> stopSequences) {
        return toAnthropic(completion, clientModel, names, stopSequences, () -> 0L);
    }

    /** {@code inputEstimate} is asked only when the completion carries no {@code prompt_tokens}. */
    public ObjectNode toAnthropic(
            JsonNode completion,
            String clientModel,
            ToolNameMap names,
            List<String> stopSequences,
            LongSupplier inputEstimate) {
        ToolNameMap nm = names == null ? ToolNameMap.identity() : names;
        List<String> stops = stopSequences == null ? List.of() : stopSequences;
        if (completion.has("error") && !completion.get("error").isNull()) {
            throw new UpstreamProtocolException("upstream returned an error object: " + completion.get("error"));
        }
        JsonNode choice = completion.path("choices").path(0);
        if (choice.isMissingNode()) {
            throw new UpstreamProtocolException("upstream completion has no choices");
        }
        JsonNode msg = choice.path("message");
        String finish = choice.path("finish_reason").asText(null);
        ObjectNode out = F.objectNode();
        String id = idChars(completion.path("id").asText(""));
        out.put("id", "msg_" + (id.isEmpty() ? "unknown" : id));
        out.put("type", "message").put("role", "assistant").put("model", clientModel);
        ArrayNode content = out.putArray("content");

        String[] thinking = thinking(msg);
        String reasoning = thinking[0];
        if (!reasoning.isEmpty()) {
            content.addObject()
                    .put("type", "thinking")
                    .put("thinking", reasoning)
                    .put("signature", thinking[1]);
        }

        boolean refusal = false;
        String text = text(msg.get("content"));
        String ref = text(msg.get("refusal"));
        if (!ref.isEmpty()) {
            refusal = true;
            text = text + ref;
        }
        String[] cut = StopMatcher.cut(text, stops);
        String matched = cut[1];
        if (!cut[0].isEmpty()) {
            content.addObject().put("type", "text").put("text", cut[0]);
        }
        boolean toolEmitted = matched == null && toolUses(msg, content, nm, id, finish);
        stopReason(out, matched, choice, stops, StopReasons.of(finish, toolEmitted, refusal));
        JsonNode usage = UsageMapper.usageNode(completion);
        // estimates only for what the upstream did not report
        long outEstimate = UsageMapper.hasOutput(usage) ? 0 : Math.max(1, tokens.countText(text + reasoning));
        long in = UsageMapper.hasInput(usage) ? 0 : inputEstimate.getAsLong();
        Usage u = UsageMapper.map(usage, in, outEstimate);
        out.set("usage", StreamUsage.json(u));
        return out;
    }

    /** The reasoning text ({@code reasoning_content}, {@code reasoning}, else {@code reasoning_details}) and its signature, or "". */
    private static String[] thinking(JsonNode msg) {
        String reasoning = firstNonEmpty(text(msg.get("reasoning_content")), text(msg.get("reasoning")));
        String signature = "";
        StringBuilder details = new StringBuilder();
        for (JsonNode rd : msg.path("reasoning_details")) {
            if ("reasoning.text".equals(rd.path("type").asText())) {
                details.append(rd.path("text").asText(""));
            } else if ("reasoning.summary".equals(rd.path("type").asText())) {
                details.append(rd.path("summary").asText(""));
            }
            if (rd.path("signature").isTextual()
                    && !rd.get("signature").asText().isEmpty()) {
                signature = rd.get("signature").asText();
            }
        }
        if (reasoning.isEmpty()) {
            reasoning = details.toString();
        }
        return new String[] {reasoning, signature};
    }

    /** One tool_use block per named tool call, in order; true when at least one was added. */
    private boolean toolUses(JsonNode msg, ArrayNode content, ToolNameMap nm, String id, String finish) {
        boolean toolEmitted = false;
        int n = 0;
        for (JsonNode tc : msg.path("tool_calls")) {
            JsonNode fn = tc.path("function");
            String name = nm.toClient(fn.path("name").asText(""));
            String callId = tc.path("id").asText("");
            if (callId.isEmpty()) {
                callId = "toolu_" + (id.isEmpty() ? "unknown" : id) + "_" + n;
            }
            callId = ToolCallAssembler.safeId(callId);
            n++;
            if (name.isEmpty()) {
                LOG.warn("upstream tool call {} without a name dropped", callId);
                continue;
            }
            JsonNode input = input(fn.get("arguments"), callId, name, finish);
            if (input == null) {
                continue;
            }
            ObjectNode b = content.addObject()
                    .put("type", "tool_use")
                    .put("id", callId)
                    .put("name", name);
            b.set("input", input);
            toolEmitted = true;
        }
        return toolEmitted;
    }

    /** A client stop string matched here or named by a vLLM {@code stop_reason} wins over the finish reason. */
    private static void stopReason(
            ObjectNode out, String matched, JsonNode choice, List<String> stops, String byFinish) {
        if (matched != null) {
            out.put("stop_reason", "stop_sequence").put("stop_sequence", matched);
        } else if (choice.path("stop_reason").isTextual()
                && stops.contains(choice.get("stop_reason").asText())) {
            out.put("stop_reason", "stop_sequence")
                    .put("stop_sequence", choice.get("stop_reason").asText());
        } else {
            out.put("stop_reason", byFinish).putNull("stop_sequence");
        }
    }

    private static JsonNode input(JsonNode args, String id, String name, String finish) {
        if (args == null || args.isNull()) {
            return F.objectNode();
        }
        if (args.isObject()) {
            return args;
        }
        ToolArguments a = new ToolArguments();
        a.append(args.asText());
        if (a.blank()) {
            return F.objectNode();
        }
        if (a.complete()) {
            try {
                JsonNode n = JSON.readTree(a.text());
                if (n != null && n.isObject()) {
                    if (!a.extra().isBlank()) {
                        LOG.warn(
                                "tool call {} ({}) had more than one JSON object; kept the first, dropped: {}",
                                id,
                                name,
                                a.extra());
                    }
                    return n;
                }
            } catch (Exception e) {
                // fall through
            }
        }
        if ("length".equals(finish)) {
            LOG.warn("tool call {} ({}) cut by max_tokens left out: {}", id, name, a.text());
            return null;
        }
        throw new UpstreamProtocolException(
                "upstream sent invalid JSON arguments for tool call " + id + " (" + name + ")");
    }

    /** {@code s} without the characters outside {@code [A-Za-z0-9_-]}. */
    private static String idChars(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-';
            if (!ok && sb == null) {
                sb = new StringBuilder(s.length()).append(s, 0, i);
            } else if (ok && sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }

    private static String text(JsonNode n) {
        if (n == null || n.isNull()) {
            return "";
        }
        if (n.isTextual()) {
            return n.asText();
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode p : n) {
            if (p.path("text").isTextual()) {
                sb.append(p.get("text").asText());
            }
        }
        return sb.toString();
    }

    private static String firstNonEmpty(String a, String b) {
        return a.isEmpty() ? b : a;
    }
}
