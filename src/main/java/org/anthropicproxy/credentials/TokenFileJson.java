package org.anthropicproxy.credentials;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;

/** JSON reading for credential files and refresh responses, with error messages that never quote the input. */
final class TokenFileJson {
    static final ObjectMapper MAPPER =
            JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    /** Epoch values below this are seconds, not milliseconds (1e11 ms is 1973; 1e11 s is year 5138). */
    private static final long SECONDS_LIMIT = 100_000_000_000L;

    private TokenFileJson() {}

    /**
     * Parses a JSON object. Jackson's own messages quote the offending text, which may be a token, so only the
     * position is reported.
     */
    static ObjectNode readObject(byte[] bytes, String what) throws BadTokenFileException {
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            throw new BadTokenFileException(what + " is not valid JSON"
                    + (loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")"));
        } catch (IOException e) {
            throw new BadTokenFileException(what + " could not be parsed");
        }
        if (!(node instanceof ObjectNode obj)) {
            throw new BadTokenFileException(what + " is not a JSON object");
        }
        return obj;
    }

    static byte[] write(ObjectNode doc) {
        try {
            return MAPPER.writeValueAsBytes(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise credential document", e);
        }
    }

    /** A non-empty string field, or null. */
    static String text(JsonNode parent, String field) {
        JsonNode n = parent == null ? null : parent.get(field);
        if (n == null || !n.isTextual() || n.asText().isBlank()) {
            return null;
        }
        return n.asText();
    }

    /** First non-empty string among the given fields. */
    static String text(JsonNode parent, String... fields) {
        for (String f : fields) {
            String v = text(parent, f);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    /** A number or numeric string field as long, or null when absent/not numeric. */
    static Long number(JsonNode parent, String field) {
        JsonNode n = parent == null ? null : parent.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isNumber()) {
            return n.asLong();
        }
        if (n.isTextual() && n.asText().trim().matches("\\d+")) {
            try {
                return Long.parseLong(n.asText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    /** First numeric field among the given ones, or null. */
    static Long number(JsonNode parent, String... fields) {
        for (String f : fields) {
            Long v = number(parent, f);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    /** An epoch timestamp: milliseconds, or seconds when small. 0 means "never expires" and maps to null. */
    static Instant epoch(long value) {
        if (value <= 0) {
            return null;
        }
        return value < SECONDS_LIMIT ? Instant.ofEpochSecond(value) : Instant.ofEpochMilli(value);
    }
}
