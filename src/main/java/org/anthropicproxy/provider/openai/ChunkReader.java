package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.anthropicproxy.json.Json;

/**
 * One SSE {@code data:} payload of a Chat Completions stream, read into what {@link StreamTranslator} acts on. Only
 * the members the translator reads ({@code choices}, {@code usage}, {@code x_groq}, {@code error}) become a tree; the
 * rest ({@code id}, {@code model}, {@code obfuscation}…) is checked for syntax and skipped without building nodes.
 */
final class ChunkReader {

    /** What a payload is. */
    sealed interface Chunk {}

    /** Whitespace only: a keep-alive. */
    record Blank() implements Chunk {}

    /** {@code [DONE]}. */
    record Done() implements Chunk {}

    /** A JSON object, as far as the translator reads it. */
    record Parsed(JsonNode root) implements Chunk {}

    /** Not a JSON object; {@code text} is what it was, for the error message. */
    record Invalid(String text) implements Chunk {}

    private static final ObjectMapper JSON = Json.MAPPER; // the shared buffer pool
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);
    private static final Chunk BLANK = new Blank();
    private static final Chunk DONE_CHUNK = new Done();

    private ChunkReader() {}

    static Chunk read(byte[] data, int off, int len) {
        int from = off;
        int to = off + len;
        while (from < to && isSpace(data[from])) {
            from++;
        }
        while (to > from && isSpace(data[to - 1])) {
            to--;
        }
        if (from == to) {
            return BLANK;
        }
        if (Arrays.equals(data, from, to, DONE, 0, DONE.length)) {
            return DONE_CHUNK;
        }
        JsonNode root = parse(data, from, to);
        if (root != null) {
            return new Parsed(root);
        }
        // bytes that are not UTF-8 fail the byte parser; as text they read with replacement characters
        String text = new String(data, from, to - from, StandardCharsets.UTF_8);
        try {
            root = readChunk(JSON.createParser(text));
        } catch (IOException | RuntimeException e) {
            root = null;
        }
        return root == null ? new Invalid(text) : new Parsed(root);
    }

    private static JsonNode parse(byte[] data, int from, int to) {
        try {
            return readChunk(JSON.createParser(data, from, to - from));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The chunk as a tree of only the members the translator reads; null when it is not a JSON object. */
    private static JsonNode readChunk(JsonParser parser) throws IOException {
        try (JsonParser p = parser) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
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
            return p.currentToken() == JsonToken.END_OBJECT ? root : null;
        }
    }

    /** What {@link String#strip()} drops, as far as a JSON chunk's bytes can hold it (JSON's own whitespace). */
    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    /** A delta member as text: a string, or the {@code text} of each part of an array of parts; "" otherwise. */
    static String text(JsonNode n) {
        if (n == null || n.isNull()) {
            return "";
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (!n.isArray()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode p : n) {
            if (p.path("text").isTextual()) {
                sb.append(p.get("text").asText());
            }
        }
        return sb.toString();
    }

    /** A delta's reasoning text, and the upstream's signature for it (null when it sent none). */
    record Reasoning(String text, String signature) {}

    /**
     * {@code reasoning_content}, else {@code reasoning}, else {@code thinking}, else the texts and summaries of
     * {@code reasoning_details} (OpenRouter), whose last non-empty {@code signature} is the signature.
     */
    static Reasoning reasoning(JsonNode delta) {
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
            if (rd.path("signature").isTextual()
                    && !rd.get("signature").asText().isEmpty()) {
                sig = rd.get("signature").asText();
            }
        }
        return new Reasoning(r.isEmpty() ? detailText.toString() : r, sig);
    }
}
