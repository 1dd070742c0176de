package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.Base64;

/**
 * Local token <em>estimate</em> for Anthropic requests (count_tokens, {@code message_start} input figures, output
 * estimates when an upstream sends no usage). Uses jtokkit {@code o200k_base}, which is not Claude's tokenizer: expect
 * an error of some percent. Counted: system text; per message a small overhead plus text, thinking text, tool_use
 * name + input JSON, tool_result content (recursively), documents (text; base64 PDFs ≈ bytes/4), search results;
 * per image {@code min(1600, w*h/750)} when PNG/GIF dimensions are readable from the header, else 1600; per tool
 * name + description + schema JSON plus overhead. Thread-safe and immutable; the encoding is built once.
 */
public final class TokenCounter {

    static final int IMAGE_TOKENS_UNKNOWN = 1600;
    private static final int MESSAGE_OVERHEAD = 4;
    private static final int TOOL_OVERHEAD = 8;
    private static final TokenCounter SHARED = new TokenCounter();

    private final Encoding encoding = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);

    private TokenCounter() {
    }

    public static TokenCounter shared() {
        return SHARED;
    }

    public long countText(String s) {
        return s == null || s.isEmpty() ? 0 : encoding.countTokensOrdinary(s);
    }

    public long countRequest(JsonNode req) {
        long n = 0;
        n += countContent(req.get("system"));
        for (JsonNode m : req.path("messages")) {
            n += MESSAGE_OVERHEAD + countContent(m.get("content"));
        }
        for (JsonNode t : req.path("tools")) {
            n += TOOL_OVERHEAD + countText(t.path("name").asText("")) + countText(t.path("description").asText(""));
            if (t.has("input_schema")) {
                n += countText(t.get("input_schema").toString());
            }
        }
        return n;
    }

    private long countContent(JsonNode c) {
        if (c == null || c.isNull()) {
            return 0;
        }
        if (c.isTextual()) {
            return countText(c.asText());
        }
        long n = 0;
        if (c.isArray()) {
            for (JsonNode b : c) {
                n += countBlock(b);
            }
        }
        return n;
    }

    private long countBlock(JsonNode b) {
        return switch (b.path("type").asText()) {
            case "text" -> countText(b.path("text").asText());
            case "thinking" -> countText(b.path("thinking").asText());
            case "tool_use" -> countText(b.path("name").asText()) + countText(b.path("input").toString());
            case "tool_result" -> countContent(b.get("content"));
            case "image" -> imageTokens(b.path("source"));
            case "document" -> documentTokens(b);
            case "search_result" -> countText(b.path("title").asText("")) + countContent(b.get("content"));
            default -> countText(b.toString());
        };
    }

    private long documentTokens(JsonNode b) {
        JsonNode src = b.path("source");
        return countText(b.path("title").asText("")) + switch (src.path("type").asText()) {
            case "text" -> countText(src.path("data").asText());
            case "content" -> countContent(src.get("content"));
            case "base64" -> src.path("data").asText().length() * 3L / 4 / 4;
            default -> IMAGE_TOKENS_UNKNOWN;
        };
    }

    static long imageTokens(JsonNode src) {
        if (!"base64".equals(src.path("type").asText())) {
            return IMAGE_TOKENS_UNKNOWN;
        }
        String data = src.path("data").asText();
        try {
            byte[] head = Base64.getDecoder().decode(data.substring(0, Math.min(data.length(), 32)).replaceAll("=+$", ""));
            long w = -1;
            long h = -1;
            if (head.length >= 24 && (head[0] & 0xff) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G') {
                w = be32(head, 16);
                h = be32(head, 20);
            } else if (head.length >= 10 && head[0] == 'G' && head[1] == 'I' && head[2] == 'F') {
                w = (head[6] & 0xff) | (head[7] & 0xff) << 8;
                h = (head[8] & 0xff) | (head[9] & 0xff) << 8;
            }
            if (w > 0 && h > 0) {
                return Math.max(1, Math.min(IMAGE_TOKENS_UNKNOWN, w * h / 750));
            }
        } catch (IllegalArgumentException e) {
            // not base64: fall through to the fixed estimate
        }
        return IMAGE_TOKENS_UNKNOWN;
    }

    private static long be32(byte[] b, int off) {
        return ((long) (b[off] & 0xff) << 24) | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
    }
}
