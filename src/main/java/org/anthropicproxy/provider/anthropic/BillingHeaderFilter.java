package org.anthropicproxy.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.anthropicproxy.json.Json;

/**
 * Removes Claude Code's {@code x-anthropic-billing-header: …} line from the system prompt. Gateways that are not
 * Anthropic reject or mis-bill it, and it changes per request, defeating prompt caching. Only the {@code system}
 * value is parsed, and only when the marker occurs in it.
 */
public final class BillingHeaderFilter {

    static final String MARKER = "x-anthropic-billing-header";
    private static final byte[] MARKER_BYTES = MARKER.getBytes(StandardCharsets.US_ASCII);

    private BillingHeaderFilter() {}

    /** The filtered {@code system} value, or {@code null} when there is nothing to remove. */
    public static byte[] filter(byte[] body, int start, int end) {
        if (indexOf(body, start, end) < 0) {
            return null;
        }
        try {
            JsonNode system = Json.MAPPER.readTree(body, start, end - start);
            JsonNode filtered = filter(system);
            return filtered == null ? null : Json.MAPPER.writeValueAsBytes(filtered);
        } catch (IOException e) {
            return null;
        }
    }

    static JsonNode filter(JsonNode system) {
        if (system.isTextual()) {
            String s = strip(system.asText());
            return s.equals(system.asText()) ? null : TextNode.valueOf(s);
        }
        if (!system.isArray()) {
            return null;
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        boolean changed = false;
        for (JsonNode block : system) {
            JsonNode text = block.get("text");
            if ("text".equals(block.path("type").asText()) && text != null && text.isTextual()) {
                String s = strip(text.asText());
                if (!s.equals(text.asText())) {
                    changed = true;
                    if (s.isBlank()) {
                        continue; // an empty text block would be rejected upstream
                    }
                    ObjectNode copy = ((ObjectNode) block).deepCopy();
                    copy.put("text", s);
                    out.add(copy);
                    continue;
                }
            }
            out.add(block);
        }
        return changed ? out : null;
    }

    private static String strip(String text) {
        if (!text.contains(MARKER)) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length());
        for (String line : text.split("\n", -1)) {
            if (line.stripLeading().startsWith(MARKER + ":")) {
                continue;
            }
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            sb.append(line);
        }
        return sb.toString().strip().isEmpty() ? "" : sb.toString();
    }

    private static int indexOf(byte[] hay, int from, int to) {
        outer:
        for (int i = from; i <= to - MARKER_BYTES.length; i++) {
            for (int j = 0; j < MARKER_BYTES.length; j++) {
                if (hay[i + j] != MARKER_BYTES[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
