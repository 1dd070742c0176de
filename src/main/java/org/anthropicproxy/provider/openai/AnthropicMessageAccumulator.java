package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Builds the final Anthropic Message from Anthropic stream events, the way the SDK accumulators do (append on start,
 * look deltas up by index, usage from message_delta overwrites). Used for non-stream clients of a forced-stream
 * upstream, and by tests.
 *
 * <p>A tool_use block whose concatenated {@code partial_json} is not a JSON object (e.g. cut by max_tokens) is left
 * out of {@link #message()} rather than given made-up input; the stop_reason ({@code max_tokens}) tells the client.
 * Such omissions are listed in {@link #warnings()}.
 */
public final class AnthropicMessageAccumulator implements AnthropicEventSink {

    private static final ObjectMapper JSON = org.anthropicproxy.json.Json.MAPPER; // the shared buffer pool

    private ObjectNode message;
    private final List<StringBuilder> partialJson = new ArrayList<>();
    /** Per block: text / thinking deltas so far (null until the first), written into the block at its stop or on read. */
    private final List<StringBuilder> texts = new ArrayList<>();

    private final List<StringBuilder> thinkings = new ArrayList<>();
    private final TreeSet<Integer> dropped = new TreeSet<>();
    private final List<String> warnings = new ArrayList<>();
    private ObjectNode error;
    private boolean stopped;

    @Override
    public void event(String type, String json) {
        JsonNode ev;
        try {
            ev = JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException("event " + type + " is not JSON: " + json, e);
        }
        switch (type) {
            case "message_start" -> {
                message = ((ObjectNode) ev.path("message")).deepCopy();
                message.putArray("content");
            }
            case "content_block_start" -> {
                content().add(ev.path("content_block").deepCopy());
                partialJson.add(new StringBuilder());
                texts.add(null);
                thinkings.add(null);
            }
            case "content_block_delta" -> {
                int i = ev.path("index").asInt();
                ObjectNode block = (ObjectNode) content().get(i);
                JsonNode d = ev.path("delta");
                switch (d.path("type").asText()) {
                    case "text_delta" ->
                        builder(texts, i, block, "text").append(d.path("text").asText());
                    case "thinking_delta" ->
                        builder(thinkings, i, block, "thinking")
                                .append(d.path("thinking").asText());
                    case "signature_delta" ->
                        block.put("signature", d.path("signature").asText());
                    case "input_json_delta" ->
                        partialJson.get(i).append(d.path("partial_json").asText());
                    default -> {}
                }
            }
            case "content_block_stop" -> finishBlock(ev.path("index").asInt());
            case "message_delta" -> {
                JsonNode d = ev.path("delta");
                message.set("stop_reason", d.get("stop_reason"));
                message.set("stop_sequence", d.has("stop_sequence") ? d.get("stop_sequence") : JSON.nullNode());
                ObjectNode usage = message.with("usage");
                ev.path("usage").fields().forEachRemaining(e -> usage.set(e.getKey(), e.getValue()));
            }
            case "message_stop" -> stopped = true;
            case "error" -> error = (ObjectNode) ev;
            default -> {
                // ping and unknown events carry nothing for the message
            }
        }
    }

    private ArrayNode content() {
        if (message == null) {
            throw new IllegalStateException("content before message_start");
        }
        return (ArrayNode) message.get("content");
    }

    /** The block's builder for {@code field}, started from its current value (the field keeps its place in the block). */
    private static StringBuilder builder(List<StringBuilder> all, int i, ObjectNode block, String field) {
        StringBuilder sb = all.get(i);
        if (sb == null) {
            String start = block.path(field).asText();
            block.put(field, start);
            sb = new StringBuilder(start);
            all.set(i, sb);
        }
        return sb;
    }

    /** Writes the accumulated text/thinking of every block into it (deltas were appended, not re-concatenated). */
    private void flushTexts() {
        if (message == null) {
            return;
        }
        ArrayNode c = content();
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) != null) {
                ((ObjectNode) c.get(i)).put("text", texts.get(i).toString());
            }
            if (thinkings.get(i) != null) {
                ((ObjectNode) c.get(i)).put("thinking", thinkings.get(i).toString());
            }
        }
    }

    private void finishBlock(int i) {
        ObjectNode block = (ObjectNode) content().get(i);
        if (texts.get(i) != null) {
            block.put("text", texts.get(i).toString());
            texts.set(i, null);
        }
        if (thinkings.get(i) != null) {
            block.put("thinking", thinkings.get(i).toString());
            thinkings.set(i, null);
        }
        if (!"tool_use".equals(block.path("type").asText())) {
            return;
        }
        String pj = partialJson.get(i).toString();
        if (pj.isBlank()) {
            return; // no input deltas: input {} as started
        }
        try {
            JsonNode input = JSON.readTree(pj);
            if (input != null && input.isObject()) {
                block.set("input", input);
                return;
            }
        } catch (Exception e) {
            // fall through
        }
        dropped.add(i);
        warnings.add("tool_use " + block.path("id").asText() + " dropped: input is not a JSON object: " + pj);
    }

    /** The message so far (complete once {@link #complete()}). */
    public ObjectNode message() {
        if (message == null) {
            throw new IllegalStateException("no message_start received");
        }
        flushTexts();
        ObjectNode m = message.deepCopy();
        ArrayNode c = (ArrayNode) m.get("content");
        for (int i : dropped.descendingSet()) {
            c.remove(i);
        }
        return m;
    }

    /** The {@code {"type":"error","error":{…}}} event payload, if the stream failed. */
    public Optional<ObjectNode> error() {
        return Optional.ofNullable(error);
    }

    /** message_stop was received. */
    public boolean complete() {
        return stopped;
    }

    public List<String> warnings() {
        return List.copyOf(warnings);
    }
}
