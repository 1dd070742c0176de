package org.anthropicproxy.provider.anthropic;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.NumberInput;
import java.io.IOException;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.provider.Usage;

/**
 * Anthropic usage figures read with one streaming pass: the response body or event data is walked, the usage
 * object's four numbers are read and everything else is skipped, with no tree built (a whole response used to be
 * parsed into a tree twice, and every message_start and message_delta event once).
 *
 * <p>Results match the tree lookups this replaced: values convert as {@code JsonNode.asLong(default)} does (numbers
 * truncate, numeric strings parse, booleans are 1 or 0, anything else keeps the default), a duplicate key counts its
 * last occurrence, a malformed document yields nothing, and content after the top-level object is ignored, as
 * {@code readTree} ignored it.
 */
final class UsageJson {

    private static final String[] USAGE = {"usage"};
    private static final String[] MESSAGE_USAGE = {"message", "usage"};
    private static final String[] FIELDS = {"input_tokens", "output_tokens", "cache_read_input_tokens",
        "cache_creation_input_tokens"};

    private UsageJson() {
    }

    /**
     * The top-level {@code usage} of a non-stream response ({@link Usage#NONE} without one), or null when the body
     * is not a JSON object.
     */
    static Usage response(byte[] body) {
        try (JsonParser p = Json.FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            long[] f = walk(p, USAGE, 0, new long[4]);
            return f == null ? Usage.NONE : new Usage(f[0], f[1], f[2], f[3]);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Whether the body is a JSON object whose top-level {@code type} is {@code "success"} (a CodeBuddy-style envelope
     * around the message). Stops at {@code type}, which a message has second, so a plain message costs a few tokens.
     */
    static boolean successEnvelope(byte[] body) {
        try (JsonParser p = Json.FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                boolean type = "type".equals(p.currentName());
                JsonToken v = p.nextToken();
                if (type) {
                    return v == JsonToken.VALUE_STRING && "success".equals(p.getText());
                }
                p.skipChildren();
            }
            return false;
        } catch (IOException e) {
            return false;
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
            case VALUE_NUMBER_INT -> p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    ? p.getBigIntegerValue().longValue() : p.getLongValue();
            case VALUE_NUMBER_FLOAT -> (long) p.getDoubleValue();
            case VALUE_STRING -> NumberInput.parseAsLong(p.getText(), otherwise);
            case VALUE_TRUE -> 1;
            case VALUE_FALSE -> 0;
            default -> otherwise;
        };
    }
}
