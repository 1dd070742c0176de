package org.anthropicproxy.json;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;

/** Anthropic-shaped error bodies: {@code {"type":"error","error":{"type":…,"message":…}}}. */
public final class ErrorBody {

    private ErrorBody() {
    }

    /** The error type Anthropic uses for an HTTP status. */
    public static String typeFor(int status) {
        return switch (status) {
            case 400, 422 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 402 -> "billing_error";
            case 403 -> "permission_error";
            case 404, 405 -> "not_found_error";
            case 408, 504 -> "timeout_error";
            case 413, 431 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 529, 503 -> "overloaded_error";
            default -> "api_error";
        };
    }

    public static ObjectNode node(String type, String message) {
        ObjectNode root = Json.object();
        root.put("type", "error");
        ObjectNode err = root.putObject("error");
        err.put("type", type);
        err.put("message", message);
        return root;
    }

    public static String json(String type, String message) {
        return node(type, message).toString();
    }

    public static byte[] bytes(String type, String message) {
        return json(type, message).getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] bytes(int status, String message) {
        return bytes(typeFor(status), message);
    }
}
