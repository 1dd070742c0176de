package org.anthropicproxy.json;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;

/** Anthropic-shaped error bodies: {@code {"type":"error","error":{"type":…,"message":…}}}. */
public final class ErrorBody {

    private ErrorBody() {}

    /**
     * The header the Anthropic SDKs and Claude Code read before their own retry rules: {@code false} ends the retries
     * at once, {@code true} retries even a status they would not.
     */
    public static final String SHOULD_RETRY = "x-should-retry";

    /**
     * Whether the proxy's own answer with this status is one a retry of the same request cannot change (bad request,
     * bad or missing key, no such route or model, too large); overload, timeouts and rate limits are left retryable.
     */
    public static boolean retryCannotFix(int status) {
        return switch (status) {
            case 400, 401, 403, 404, 405, 413, 422, 431 -> true;
            default -> false;
        };
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
