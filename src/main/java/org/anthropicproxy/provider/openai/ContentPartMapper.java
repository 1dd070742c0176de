package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Anthropic content blocks → OpenAI content parts: the "Content" rows of {@link RequestMapper}'s table for text,
 * image, document and search_result blocks, and {@code cache_control} on parts. Pure but for the notes it makes in
 * its {@link MappingRun}.
 */
final class ContentPartMapper {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final MappingRun run;

    ContentPartMapper(MappingRun run) {
        this.run = run;
    }

    /** Maps one non-tool_result user block into {@code parts}. */
    void userPart(JsonNode b, String where, List<ObjectNode> parts) {
        String type = b.path("type").asText();
        switch (type) {
            case "text" -> {
                String t = b.path("text").asText();
                if (t.isBlank()) {
                    run.note(where + ": empty text block dropped");
                } else {
                    parts.add(textPart(t, b.get("cache_control")));
                }
            }
            case "image" -> parts.add(imagePart(b, where));
            case "document" -> documentParts(b, where, parts);
            case "search_result" -> {
                parts.add(textPart(searchResultText(b), b.get("cache_control")));
                run.note(where + ": search_result sent as text (citations are not available upstream)");
            }
            case "thinking", "redacted_thinking", "tool_use" ->
                run.note(where + ": " + type + " block in a user message dropped");
            default -> run.note(where + ": " + type + " block dropped: no Chat Completions equivalent");
        }
    }

    ObjectNode textPart(String text, JsonNode cacheControl) {
        ObjectNode p = F.objectNode().put("type", "text").put("text", text);
        if (cacheControl != null && !cacheControl.isNull()) {
            keepOrDropCacheControl(p, cacheControl);
        }
        return p;
    }

    ObjectNode imagePart(JsonNode b, String where) {
        JsonNode src = b.path("source");
        String url = switch (src.path("type").asText()) {
            case "base64" -> "data:" + src.path("media_type").asText("image/png") + ";base64," + base64Payload(src);
            case "url" -> src.path("url").asText();
            default ->
                throw new UnsupportedFeatureException(where + ".source: image source type '"
                        + src.path("type").asText()
                        + "' is not supported by this upstream; Extra inputs are not permitted");
        };
        ObjectNode p = F.objectNode().put("type", "image_url");
        p.putObject("image_url").put("url", url);
        if (b.has("cache_control")) {
            keepOrDropCacheControl(p, b.get("cache_control"));
        }
        return p;
    }

    /** An image's base64 data; a client that sent a whole data URL there gets its payload used. */
    private static String base64Payload(JsonNode src) {
        String data = src.path("data").asText();
        int comma = data.indexOf(',');
        return data.startsWith("data:") && comma > 0 ? data.substring(comma + 1) : data;
    }

    private void keepOrDropCacheControl(ObjectNode part, JsonNode cacheControl) {
        if (run.dialect.keepCacheControl()) {
            part.set("cache_control", cacheControl);
        } else {
            run.dropCacheControl();
        }
    }

    void documentParts(JsonNode b, String where, List<ObjectNode> parts) {
        JsonNode src = b.path("source");
        String title = b.path("title").asText("");
        if (b.has("citations") || b.has("context")) {
            run.note(where + ": document citations/context dropped");
        }
        String titled = title.isEmpty() ? "" : title + "\n\n";
        switch (src.path("type").asText()) {
            case "text" -> parts.add(textPart(titled + src.path("data").asText(), b.get("cache_control")));
            case "content" -> contentDocument(b, src.path("content"), title, where, parts);
            case "base64" -> {
                String media = src.path("media_type").asText("application/pdf");
                ObjectNode p = F.objectNode().put("type", "file");
                p.putObject("file")
                        .put("filename", title.isEmpty() ? "document.pdf" : title)
                        .put(
                                "file_data",
                                "data:" + media + ";base64," + src.path("data").asText());
                parts.add(p);
                run.note(where + ": PDF document sent as a file content part");
            }
            default ->
                throw new UnsupportedFeatureException(where + ".source: document source type '"
                        + src.path("type").asText()
                        + "' is not supported by this upstream; Extra inputs are not permitted");
        }
    }

    private void contentDocument(JsonNode b, JsonNode content, String title, String where, List<ObjectNode> parts) {
        if (content.isTextual()) {
            parts.add(textPart((title.isEmpty() ? "" : title + "\n\n") + content.asText(), b.get("cache_control")));
            return;
        }
        if (!title.isEmpty()) {
            parts.add(textPart(title, null));
        }
        int k = 0;
        for (JsonNode part : content) {
            userPart(part, where + ".source.content." + k++, parts);
        }
    }

    static String searchResultText(JsonNode b) {
        StringBuilder sb = new StringBuilder();
        appendLine(sb, b.path("title").asText(""));
        appendLine(sb, b.path("source").asText(""));
        for (JsonNode c : b.path("content")) {
            appendLine(sb, c.path("text").asText(""));
        }
        return sb.toString();
    }

    /** Appends {@code s} on a line of its own; an empty {@code s} adds nothing. */
    static void appendLine(StringBuilder sb, String s) {
        if (s.isEmpty()) {
            return;
        }
        if (!sb.isEmpty()) {
            sb.append('\n');
        }
        sb.append(s);
    }

    /** A single string (parts joined with a blank line) when every part is plain text without cache_control; parts otherwise. */
    static void setTextContent(ObjectNode msg, List<ObjectNode> parts) {
        boolean plain =
                parts.stream().allMatch(p -> "text".equals(p.path("type").asText()) && !p.has("cache_control"));
        if (plain) {
            msg.put(
                    "content",
                    String.join(
                            "\n\n",
                            parts.stream().map(p -> p.path("text").asText()).toList()));
        } else {
            ArrayNode arr = msg.putArray("content");
            parts.forEach(arr::add);
        }
    }
}
