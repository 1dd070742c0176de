package org.anthropicproxy.provider.anthropic;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.NumberInput;
import java.io.IOException;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.provider.Usage;

/**
 * Anthropic usage figures read with one streaming pass: the response body or event data is walked, the usage
 * object's four numbers are read and everything else is skipped, with no tree built: every answer and every
 * message_start and message_delta event passes through here.
 *
 * <p>Results match Jackson tree lookups: values convert as {@code JsonNode.asLong(default)} does (numbers
 * truncate, numeric strings parse, booleans are 1 or 0, anything else keeps the default), a duplicate key counts its
 * last occurrence, a malformed document yields nothing, and content after the top-level object is ignored, as
 * {@code readTree} ignored it.
 */
final class UsageJson {

    private static final String[] USAGE = {"usage"};
    private static final String[] MESSAGE_USAGE = {"message", "usage"};
    private static final String[] FIELDS = {
        "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"
    };

    private UsageJson() {}

    /** What one pass over a whole answer found. */
    record Answer(Usage usage, boolean envelope) {}

    /**
     * One pass over a non-stream answer: its top-level {@code usage} ({@link Usage#NONE} without one; null when the
     * body is not a JSON object) and whether its top-level {@code type} is {@code "success"} (a CodeBuddy-style
     * envelope around the message, which then goes to the tree path; known from the type field on, even when the body
     * breaks off later).
     */
    static Answer answer(byte[] body) {
        boolean envelope = false;
        try (JsonParser p = Json.FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return new Answer(null, false);
            }
            long[] found = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (USAGE[0].equals(name)) {
                    found = null; // the last occurrence wins, even when it is not an object
                    if (v == JsonToken.START_OBJECT) {
                        found = figures(p, new long[4]);
                        continue;
                    }
                } else if ("type".equals(name)) {
                    envelope = v == JsonToken.VALUE_STRING && "success".equals(p.getText());
                }
                p.skipChildren();
            }
            return new Answer(found == null ? Usage.NONE : new Usage(found[0], found[1], found[2], found[3]), envelope);
        } catch (IOException e) {
            return new Answer(null, envelope);
        }
    }

    /**
     * The figures of a {@code message_start} ({@code message.usage}) or {@code message_delta} ({@code usage}) event,
     * in {@link Usage} order, each defaulting to {@code current}; null when the event carries no usage object or is
     * not readable.
     */
    static long[] event(String data, boolean messageStart, long[] current) {
        try (JsonParser p = Json.FACTORY.createParser(data)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            return walk(p, messageStart ? MESSAGE_USAGE : USAGE, 0, current);
        } catch (IOException e) {
            return null;
        }
    }

    /** With the parser on an object's start, reads to its end; returns the figures found at {@code path}, or null. */
    private static long[] walk(JsonParser p, String[] path, int depth, long[] defaults) throws IOException {
        long[] found = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            boolean match = path[depth].equals(p.currentName());
            JsonToken v = p.nextToken();
            if (!match) {
                p.skipChildren();
                continue;
            }
            found = null; // the last occurrence wins, even when it is not an object
            if (v != JsonToken.START_OBJECT) {
                p.skipChildren();
            } else if (depth + 1 < path.length) {
                found = walk(p, path, depth + 1, defaults);
            } else {
                found = figures(p, defaults);
            }
        }
        return found;
    }

    private static long[] figures(JsonParser p, long[] defaults) throws IOException {
        long[] f = defaults.clone();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            for (int i = 0; i < FIELDS.length; i++) {
                if (FIELDS[i].equals(name)) {
                    f[i] = asLong(p, v, defaults[i]);
                }
            }
            p.skipChildren();
        }
        return f;
    }

    private static long asLong(JsonParser p, JsonToken v, long otherwise) throws IOException {
        return switch (v) {
            case VALUE_NUMBER_INT ->
                p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? p.getBigIntegerValue().longValue()
                        : p.getLongValue();
            case VALUE_NUMBER_FLOAT -> (long) p.getDoubleValue();
            case VALUE_STRING -> NumberInput.parseAsLong(p.getText(), otherwise);
            case VALUE_TRUE -> 1;
            case VALUE_FALSE -> 0;
            default -> otherwise;
        };
    }
}
