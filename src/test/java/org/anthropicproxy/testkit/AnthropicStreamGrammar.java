package org.anthropicproxy.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates an Anthropic event sequence against the Messages streaming grammar (Anthropic's "Streaming messages"
 * documentation): exactly one {@code message_start}
 * first (or an {@code error} as the only event); blocks started with indexes 0,1,2… one at a time; deltas only for the
 * open block and of its kind (text_delta/citations_delta → text, thinking_delta/signature_delta → thinking,
 * input_json_delta → tool_use); stop only for the open block; thinking blocks start with a {@code signature} field and
 * come before any text/tool_use block; {@code message_delta} only when no block is open, with a stop_reason and
 * {@code usage.output_tokens}; {@code message_stop} last — or an {@code error} event ending the stream. SSE event
 * name must equal the JSON type. {@code ping} may appear anywhere after message_start.
 */
public final class AnthropicStreamGrammar {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final boolean requireUsage;

    private AnthropicStreamGrammar(boolean requireUsage) {
        this.requireUsage = requireUsage;
    }

    /** What our translator must produce. */
    public static AnthropicStreamGrammar strict() {
        return new AnthropicStreamGrammar(true);
    }

    /** Also accepts a message_delta without usage and a thinking start without signature (older documentation examples). */
    public static AnthropicStreamGrammar lenientUsage() {
        return new AnthropicStreamGrammar(false);
    }

    /** Violations (empty = valid). */
    public List<String> violations(List<AnthropicEventRecorder.Event> events) {
        List<String> v = new ArrayList<>();
        boolean started = false;
        boolean ended = false;
        boolean sawDelta = false;
        int nextIndex = 0;
        int open = -1;
        String openType = null;
        boolean nonThinkingSeen = false;
        for (int n = 0; n < events.size(); n++) {
            AnthropicEventRecorder.Event e = events.get(n);
            String at = "#" + n + " " + e.type() + ": ";
            JsonNode j;
            try {
                j = JSON.readTree(e.json());
            } catch (Exception ex) {
                v.add(at + "not JSON");
                continue;
            }
            if (j == null || !e.type().equals(j.path("type").asText())) {
                v.add(at + "SSE name differs from JSON type " + (j == null ? null : j.path("type")));
            }
            if (ended) {
                v.add(at + "event after the end of the stream");
                continue;
            }
            switch (e.type()) {
                case "message_start" -> {
                    if (started) {
                        v.add(at + "second message_start");
                    }
                    if (n != 0) {
                        v.add(at + "message_start is not the first event");
                    }
                    started = true;
                    JsonNode m = j.path("message");
                    if (!m.path("content").isArray() || !m.path("content").isEmpty()) {
                        v.add(at + "message_start content must be []");
                    }
                }
                case "ping" -> {
                    if (!started) {
                        v.add(at + "ping before message_start");
                    }
                }
                case "content_block_start" -> {
                    if (!started || sawDelta) {
                        v.add(at + "block start outside the content phase");
                    }
                    if (open >= 0) {
                        v.add(at + "block " + open + " still open");
                    }
                    int i = j.path("index").asInt(-1);
                    if (i != nextIndex) {
                        v.add(at + "index " + i + ", expected " + nextIndex);
                    }
                    String t = j.path("content_block").path("type").asText();
                    if ("thinking".equals(t)) {
                        if (nonThinkingSeen) {
                            v.add(at + "thinking block after a text/tool_use block");
                        }
                        if (requireUsage && !j.path("content_block").has("signature")) {
                            v.add(at + "thinking block start without a signature field");
                        }
                    } else if ("text".equals(t) || "tool_use".equals(t)) {
                        nonThinkingSeen = true;
                    }
                    if ("tool_use".equals(t)
                            && (j.path("content_block").path("id").asText().isEmpty()
                                    || j.path("content_block")
                                            .path("name")
                                            .asText()
                                            .isEmpty())) {
                        v.add(at + "tool_use block without id or name");
                    }
                    open = i;
                    openType = t;
                    nextIndex = i + 1;
                }
                case "content_block_delta" -> {
                    int i = j.path("index").asInt(-1);
                    if (i != open) {
                        v.add(at + "delta for index " + i + " but open is " + open);
                    }
                    String dt = j.path("delta").path("type").asText();
                    String want = switch (dt) {
                        case "text_delta", "citations_delta" -> "text";
                        case "thinking_delta", "signature_delta" -> "thinking";
                        case "input_json_delta" -> "tool_use";
                        default -> null;
                    };
                    if (want != null && !want.equals(openType)) {
                        v.add(at + dt + " in a " + openType + " block");
                    }
                }
                case "content_block_stop" -> {
                    int i = j.path("index").asInt(-1);
                    if (i != open) {
                        v.add(at + "stop for index " + i + " but open is " + open);
                    }
                    open = -1;
                    openType = null;
                }
                case "message_delta" -> {
                    if (!started) {
                        v.add(at + "message_delta before message_start");
                    }
                    if (open >= 0) {
                        v.add(at + "message_delta while block " + open + " is open");
                    }
                    if (!j.path("delta").path("stop_reason").isTextual()) {
                        v.add(at + "message_delta without stop_reason");
                    }
                    if (requireUsage && !j.path("usage").path("output_tokens").isNumber()) {
                        v.add(at + "message_delta without usage.output_tokens");
                    }
                    sawDelta = true;
                }
                case "message_stop" -> {
                    if (!sawDelta) {
                        v.add(at + "message_stop without message_delta");
                    }
                    ended = true;
                }
                case "error" -> {
                    if (!j.path("error").path("type").isTextual()
                            || !j.path("error").path("message").isTextual()) {
                        v.add(at + "error without error.type/message");
                    }
                    ended = true;
                }
                default -> {
                    // the documentation says clients must tolerate event types they do not know
                }
            }
        }
        if (!ended) {
            v.add("stream does not end with message_stop or error");
        }
        return v;
    }

    /** Throws AssertionError listing the violations. */
    public void assertValid(List<AnthropicEventRecorder.Event> events) {
        List<String> v = violations(events);
        if (!v.isEmpty()) {
            StringBuilder sb = new StringBuilder("invalid Anthropic event sequence:\n");
            v.forEach(x -> sb.append("  ").append(x).append('\n'));
            sb.append("events:\n");
            events.forEach(e -> sb.append("  ")
                    .append(e.type())
                    .append(' ')
                    .append(e.json())
                    .append('\n'));
            throw new AssertionError(sb.toString());
        }
    }
}
