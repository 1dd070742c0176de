package org.anthropicproxy.json;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * One streaming pass over the top level of a {@code /v1/messages} body: validates the few fields every backend needs
 * ({@code model}, {@code max_tokens}, {@code messages}), reads {@code stream}, and records the byte ranges of the
 * values a provider may want to replace. Nested content is skipped token by token, never materialized, so a 300 KB
 * Claude Code request costs one tokenizer pass and no tree.
 *
 * <p>Validation stays shallow on purpose: unknown fields and new block types pass through untouched.
 */
public final class MessagesRequestScan {

    /** Byte range {@code [start, end)} of one top-level value in the body. */
    public record Span(int start, int end) {
    }

    private final String model;
    private final boolean stream;
    private final Span modelSpan;
    private final Span systemSpan;

    private MessagesRequestScan(String model, boolean stream, Span modelSpan, Span systemSpan) {
        this.model = model;
        this.stream = stream;
        this.modelSpan = modelSpan;
        this.systemSpan = systemSpan;
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

    /** Scans a messages request; {@code requireMaxTokens} is false for count_tokens, which has no max_tokens. */
    public static MessagesRequestScan scan(byte[] body, boolean requireMaxTokens) throws InvalidRequestException {
        String model = null;
        Span modelSpan = null;
        Span systemSpan = null;
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
                        p.skipChildren();
                        systemSpan = new Span(start, (int) p.currentLocation().getByteOffset());
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
        return new MessagesRequestScan(model, stream, modelSpan, systemSpan);
    }
}
