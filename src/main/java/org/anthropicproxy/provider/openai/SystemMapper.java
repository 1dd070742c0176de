package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A system prompt (the top-level {@code system}, or a {@code role:"system"} message) → one OpenAI system message: the
 * "system" rows of {@link RequestMapper}'s table. Claude Code puts an {@code x-anthropic-billing-header:} line in its
 * system prompt that means nothing to another upstream and would defeat its prompt cache; it is removed.
 */
final class SystemMapper {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String BILLING_PREFIX = "x-anthropic-billing-header:";
    private static final Pattern BILLING_LINE = Pattern.compile("(?m)^x-anthropic-billing-header:[^\\n]*(\\r?\\n)?");

    private final MappingRun run;
    private final ContentPartMapper parts;

    SystemMapper(MappingRun run, ContentPartMapper parts) {
        this.run = run;
        this.parts = parts;
    }

    /** A system message from a string or text blocks; null when nothing is left. */
    ObjectNode systemMessage(JsonNode content, String where) {
        List<ObjectNode> texts = new ArrayList<>();
        if (content.isTextual()) {
            String t = systemText(content.asText());
            if (!t.isBlank()) {
                texts.add(parts.textPart(t, null));
            }
        } else if (content.isArray()) {
            for (JsonNode b : content) {
                String type = b.path("type").asText();
                if (!"text".equals(type)) {
                    run.note(where + ": " + type + " block dropped (system accepts text only)");
                    continue;
                }
                String t = systemText(b.path("text").asText());
                if (!t.isBlank()) {
                    texts.add(parts.textPart(t, b.get("cache_control")));
                }
            }
        }
        if (texts.isEmpty()) {
            return null;
        }
        ObjectNode msg = F.objectNode().put("role", "system");
        ContentPartMapper.setTextContent(msg, texts);
        return msg;
    }

    private String systemText(String t) {
        if (t.contains(BILLING_PREFIX)) { // the regex only when it can match: system prompts are long
            String before = t;
            t = BILLING_LINE.matcher(t).replaceAll("");
            if (!t.equals(before)) {
                run.noteOnce("billing", "x-anthropic-billing-header line removed from the system prompt");
            }
        }
        for (Map.Entry<String, String> e : run.dialect.phraseRewrites().entrySet()) {
            if (t.contains(e.getKey())) {
                t = t.replace(e.getKey(), e.getValue());
                run.noteOnce("rewrite:" + e.getKey(), "system phrase rewritten: \"" + e.getKey() + "\"");
            }
        }
        return t;
    }
}
