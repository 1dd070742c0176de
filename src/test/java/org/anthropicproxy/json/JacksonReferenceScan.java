package org.anthropicproxy.json;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import org.anthropicproxy.json.MessagesRequestScan.Span;

/**
 * The Jackson-based scan that {@link MessagesRequestScan} replaced, kept as the test oracle: the byte scanner must accept
 * and reject exactly what this accepts and rejects, with the same messages (up to Jackson's own wording after the
 * prefix), spans, model and stream flag.
 *
 * <p>One deliberate difference from the old production code: a string {@code system} value used to get the span of
 * its opening quote only, because Jackson parses strings lazily and {@code skipChildren()} does not finish them. The
 * oracle finishes the token so the span covers the whole string, which is what the callers always assumed.
 */
final class JacksonReferenceScan {

    private final String model;
    private final boolean stream;
    private final Span modelSpan;
    private final Span systemSpan;
    private final Span toolsSpan;

    private JacksonReferenceScan(String model, boolean stream, Span modelSpan, Span systemSpan, Span toolsSpan) {
        this.model = model;
        this.stream = stream;
        this.modelSpan = modelSpan;
        this.systemSpan = systemSpan;
        this.toolsSpan = toolsSpan;
    }

    public String model() {
        return model;
    }

    public boolean stream() {
        return stream;
    }

    public Span modelSpan() {
        return modelSpan;
    }

    /** The {@code system} value's range, or {@code null} when the request has none. */
    public Span systemSpan() {
        return systemSpan;
    }

    public Span toolsSpan() {
        return toolsSpan;
    }

    /** Scans a messages request; {@code requireMaxTokens} is false for count_tokens, which has no max_tokens. */
    static JacksonReferenceScan scan(byte[] body, boolean requireMaxTokens) throws InvalidRequestException {
        String model = null;
        Span modelSpan = null;
        Span systemSpan = null;
        Span toolsSpan = null;
        boolean stream = false;
        boolean sawMaxTokens = false;
        boolean sawMessages = false;
        try (JsonParser p = Json.FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new InvalidRequestException("request body must be a JSON object");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                int start = (int) p.currentTokenLocation().getByteOffset();
                switch (field) {
                    case "model" -> {
                        if (v != JsonToken.VALUE_STRING) {
                            throw new InvalidRequestException("model: Input should be a valid string");
                        }
                        model = p.getText();
                        if (model.isBlank()) {
                            throw new InvalidRequestException("model: String should have at least 1 character");
                        }
                        modelSpan = new Span(start, (int) p.currentLocation().getByteOffset());
                    }
                    case "max_tokens" -> {
                        if (v != JsonToken.VALUE_NUMBER_INT) {
                            throw new InvalidRequestException("max_tokens: Input should be a valid integer");
                        }
                        if (p.getLongValue() < 0) {
                            throw new InvalidRequestException("max_tokens: Input should be greater than or equal to 0");
                        }
                        sawMaxTokens = true;
                    }
                    case "messages" -> {
                        if (v != JsonToken.START_ARRAY) {
                            throw new InvalidRequestException("messages: Input should be a valid list");
                        }
                        p.skipChildren();
                        sawMessages = true;
                    }
                    case "stream" -> {
                        if (v != JsonToken.VALUE_TRUE && v != JsonToken.VALUE_FALSE && v != JsonToken.VALUE_NULL) {
                            throw new InvalidRequestException("stream: Input should be a valid boolean");
                        }
                        stream = v == JsonToken.VALUE_TRUE;
                    }
                    case "system" -> {
                        p.finishToken(); // strings are lazy: without this the span ends after the opening quote
                        p.skipChildren();
                        systemSpan = new Span(start, (int) p.currentLocation().getByteOffset());
                    }
                    case "tools" -> {
                        p.finishToken();
                        p.skipChildren();
                        toolsSpan = new Span(start, (int) p.currentLocation().getByteOffset());
                    }
                    default -> p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new InvalidRequestException("request body is not valid JSON");
            }
            if (p.nextToken() != null) {
                throw new InvalidRequestException("request body has trailing data after the JSON object");
            }
        } catch (JsonParseException e) {
            throw new InvalidRequestException("request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidRequestException("request body could not be read: " + e.getMessage());
        }
        if (model == null) {
            throw new InvalidRequestException("model: Field required");
        }
        if (requireMaxTokens && !sawMaxTokens) {
            throw new InvalidRequestException("max_tokens: Field required");
        }
        if (!sawMessages) {
            throw new InvalidRequestException("messages: Field required");
        }
        return new JacksonReferenceScan(model, stream, modelSpan, systemSpan, toolsSpan);
    }
}
