package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One Anthropic message → the OpenAI messages it becomes, appended to {@code out}: the tool_use, tool_result, assistant
 * text and thinking rows of {@link RequestMapper}'s table. Chat Completions wants every {@code role:"tool"} answer
 * right after the assistant's {@code tool_calls}, so a user message's tool results go first and its own text and
 * images follow in a user message of their own; images inside a tool result (a tool message carries text only) move
 * to that user message, announced by a line naming the result.
 */
final class MessageMapper {

    static final String TOOL_ERROR_PREFIX = "[tool error] ";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final MappingRun run;
    private final ContentPartMapper parts;
    private final SystemMapper system;

    MessageMapper(MappingRun run, ContentPartMapper parts, SystemMapper system) {
        this.run = run;
        this.parts = parts;
        this.system = system;
    }

    void mapMessage(JsonNode m, int i, ArrayNode out) {
        String where = "messages." + i;
        switch (m.path("role").asText()) {
            case "system" -> {
                ObjectNode sys = system.systemMessage(m.path("content"), where);
                if (sys != null) {
                    out.add(sys);
                } else {
                    run.note(where + ": empty system message dropped");
                }
            }
            case "user" -> mapUser(m.path("content"), where, out);
            case "assistant" -> mapAssistant(m.path("content"), where, out);
            default -> throw new UnsupportedFeatureException(where + ".role: Input should be 'user' or 'assistant'");
        }
    }

    private void mapUser(JsonNode content, String where, ArrayNode out) {
        if (content.isTextual()) {
            if (content.asText().isEmpty()) {
                run.note(where + ": empty user text dropped");
            } else {
                out.add(F.objectNode().put("role", "user").put("content", content.asText()));
            }
            return;
        }
        List<ObjectNode> toolImages = new ArrayList<>();
        List<ObjectNode> own = new ArrayList<>();
        boolean partBeforeResult = false;
        int j = 0;
        for (JsonNode b : content) {
            String bw = where + ".content." + j++;
            if ("tool_result".equals(b.path("type").asText())) {
                partBeforeResult |= !own.isEmpty();
                mapToolResult(b, bw, toolImages, out);
            } else {
                parts.userPart(b, bw, own);
            }
        }
        if (partBeforeResult) {
            run.note(where + ": user content before tool_result moved after the tool messages");
        }
        List<ObjectNode> all = new ArrayList<>(toolImages);
        all.addAll(own);
        if (!all.isEmpty()) {
            ObjectNode msg = F.objectNode().put("role", "user");
            ContentPartMapper.setTextContent(msg, all);
            out.add(msg);
        }
    }

    private void mapToolResult(JsonNode b, String where, List<ObjectNode> toolImages, ArrayNode out) {
        String id = b.path("tool_use_id").asText();
        StringBuilder text = new StringBuilder();
        List<ObjectNode> images = new ArrayList<>();
        JsonNode c = b.get("content");
        if (c != null && c.isTextual()) {
            text.append(c.asText());
        } else if (c != null && c.isArray()) {
            int k = 0;
            for (JsonNode part : c) {
                toolResultPart(part, where + ".content." + k++, text, images);
            }
        }
        String s = b.path("is_error").asBoolean(false) ? TOOL_ERROR_PREFIX + text : text.toString();
        ObjectNode tool = F.objectNode().put("role", "tool").put("tool_call_id", id);
        JsonNode cc = b.get("cache_control");
        if (run.dialect.keepCacheControl() && cc != null && !s.isEmpty()) {
            tool.putArray("content").add(parts.textPart(s, cc));
        } else {
            if (cc != null) {
                run.dropCacheControl();
            }
            tool.put("content", s);
        }
        out.add(tool);
        if (!images.isEmpty()) {
            toolImages.add(parts.textPart("Images from tool result " + id + ":", null));
            toolImages.addAll(images);
            run.note(where + ": " + images.size() + " image(s) of tool_result " + id
                    + " moved to the following user message");
        }
    }

    /** One part of a tool result's content: text joins {@code text} line by line, images are collected apart. */
    private void toolResultPart(JsonNode part, String where, StringBuilder text, List<ObjectNode> images) {
        String type = part.path("type").asText();
        switch (type) {
            case "text" -> ContentPartMapper.appendLine(text, part.path("text").asText());
            case "image" -> images.add(parts.imagePart(part, where));
            case "search_result" -> ContentPartMapper.appendLine(text, ContentPartMapper.searchResultText(part));
            case "document" -> {
                List<ObjectNode> docParts = new ArrayList<>();
                parts.documentParts(part, where, docParts);
                for (ObjectNode dp : docParts) {
                    if ("text".equals(dp.path("type").asText())) {
                        ContentPartMapper.appendLine(text, dp.path("text").asText());
                    } else {
                        images.add(dp);
                    }
                }
            }
            case "tool_reference" -> {
                ContentPartMapper.appendLine(
                        text,
                        "[tool reference: "
                                + part.path("tool_name")
                                        .asText(part.path("name").asText()) + "]");
                run.note(where + ": tool_reference sent as text");
            }
            default -> run.note(where + ": " + type + " in tool_result dropped");
        }
    }

    private void mapAssistant(JsonNode content, String where, ArrayNode out) {
        ObjectNode msg = F.objectNode().put("role", "assistant");
        if (content.isTextual()) {
            out.add(msg.put("content", content.asText()));
            return;
        }
        List<String> texts = new ArrayList<>();
        List<String> thinking = new ArrayList<>();
        ArrayNode calls = F.arrayNode();
        int j = 0;
        for (JsonNode b : content) {
            assistantBlock(b, where + ".content." + j++, texts, thinking, calls);
        }
        if (texts.isEmpty() && calls.isEmpty() && thinking.isEmpty()) {
            run.note(where + ": assistant message with nothing to send dropped");
            return;
        }
        if (!texts.isEmpty()) {
            msg.put("content", String.join("\n\n", texts));
        } else if (calls.isEmpty()) {
            msg.put("content", "");
        } else {
            msg.putNull("content");
        }
        if (!thinking.isEmpty()) {
            msg.put("reasoning_content", String.join("\n\n", thinking));
        }
        if (!calls.isEmpty()) {
            msg.set("tool_calls", calls);
        }
        out.add(msg);
    }

    private void assistantBlock(JsonNode b, String where, List<String> texts, List<String> thinking, ArrayNode calls) {
        String type = b.path("type").asText();
        switch (type) {
            case "text" -> {
                if (!b.path("text").asText().isEmpty()) {
                    texts.add(b.path("text").asText());
                }
                if (b.has("cache_control")) {
                    run.dropCacheControl();
                }
            }
            case "tool_use" -> {
                ObjectNode call =
                        calls.addObject().put("id", b.path("id").asText()).put("type", "function");
                ObjectNode fn = call.putObject("function");
                fn.put("name", run.upstreamName(b.path("name").asText()));
                JsonNode input = b.get("input");
                fn.put("arguments", input == null || input.isNull() ? "{}" : JsonText.write(input));
            }
            case "thinking" -> {
                if (run.dialect.reasoningContentInHistory()) {
                    thinking.add(b.path("thinking").asText());
                } else {
                    run.noteOnce(
                            "thinking-history",
                            "thinking blocks in history dropped (dialect does not take reasoning_content)");
                }
            }
            case "redacted_thinking" ->
                run.noteOnce("redacted", "redacted_thinking blocks in history dropped (opaque outside Anthropic)");
            default ->
                run.note(
                        where + ": " + type + " block in an assistant message dropped: no Chat Completions equivalent");
        }
    }
}
