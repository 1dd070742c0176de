package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * An Anthropic error: HTTP status, {@code error.type}, message, and a {@code retry-after} to send (seconds).
 * {@link #toJson()} is the response body; {@link #eventJson()} the payload of an SSE {@code event: error}.
 */
public record AnthropicError(int status, String type, String message, Optional<Long> retryAfterSeconds) {

    public AnthropicError {
        retryAfterSeconds = retryAfterSeconds == null ? Optional.empty() : retryAfterSeconds;
    }

    public String toJson() {
        return body().toString();
    }

    /** Same shape as the body; Anthropic uses it unchanged as the data of {@code event: error}. */
    public String eventJson() {
        return toJson();
    }

    ObjectNode body() {
        ObjectNode o = JsonNodeFactory.instance.objectNode().put("type", "error");
        o.putObject("error").put("type", type).put("message", message);
        return o;
    }
}
