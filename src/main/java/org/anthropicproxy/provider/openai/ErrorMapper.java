package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Upstream error (OpenAI-shaped, CodeBuddy-shaped, or anything) → Anthropic error. The upstream message text is kept
 * verbatim (Claude Code and quota classifiers match on it); a vendor code not already in the text is appended as
 * {@code (upstream code N)}.
 *
 * <table>
 * <tr><th>upstream</th><th>status</th><th>type</th></tr>
 * <tr><td>CodeBuddy 6004 (rate limit, reset time in text)</td><td>429</td><td>rate_limit_error, retry-after = until reset</td></tr>
 * <tr><td>CodeBuddy 14018 (credits exhausted)</td><td>429</td><td>rate_limit_error, no retry-after</td></tr>
 * <tr><td>CodeBuddy 11101, 11102, 11133, 11150, 11151</td><td>400</td><td>invalid_request_error</td></tr>
 * <tr><td>CodeBuddy 11128, 11140</td><td>403</td><td>permission_error</td></tr>
 * <tr><td>CodeBuddy 11134</td><td>529</td><td>overloaded_error</td></tr>
 * <tr><td>code context_length_exceeded</td><td>400</td><td>invalid_request_error, text prefixed "prompt is too long: "</td></tr>
 * <tr><td>400, 422, other 4xx</td><td>400</td><td>invalid_request_error</td></tr>
 * <tr><td>401 / 402 / 403 / 404 / 413</td><td>same</td><td>authentication_error / billing_error / permission_error / not_found_error / request_too_large</td></tr>
 * <tr><td>408, 504</td><td>504</td><td>timeout_error</td></tr>
 * <tr><td>429</td><td>429</td><td>rate_limit_error; retry-after from {@code retry-after} (seconds or HTTP date) or {@code retry-after-ms}</td></tr>
 * <tr><td>503, 529, or "overloaded" in a 5xx text</td><td>529</td><td>overloaded_error</td></tr>
 * <tr><td>other 5xx</td><td>same</td><td>api_error</td></tr>
 * <tr><td>status &lt; 400 (error body on a 2xx)</td><td>502</td><td>api_error</td></tr>
 * </table>
 */
public final class ErrorMapper {

    private static final ObjectMapper JSON = org.anthropicproxy.json.Json.MAPPER; // the shared buffer pool
    private static final int MAX_RAW = 500;
    private static final Pattern RESET_TIME =
            Pattern.compile("(\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}:\\d{2})\\s*(?:UTC|GMT)?\\s*([+-]\\d{1,2})?");

    private ErrorMapper() {}

    /** upstream OpenAI-shaped (or CodeBuddy-shaped, or garbage) error → Anthropic error */
    public static AnthropicError map(int status, Map<String, List<String>> headers, String body) {
        return map(status, headers, body, Clock.systemUTC());
    }

    public static AnthropicError map(int status, Map<String, List<String>> headers, String body, Clock clock) {
        Parsed p = parse(body, status);
        Optional<Long> headerRetry = retryAfter(headers == null ? Map.of() : headers, clock);
        String code = p.code == null ? "" : p.code;
        String message = p.message;
        if (!code.isEmpty() && !message.contains(code) && code.chars().allMatch(Character::isDigit)) {
            message = message + " (upstream code " + code + ")";
        }
        switch (code) {
            case "6004" -> {
                Optional<Long> reset = headerRetry.isPresent() ? headerRetry : resetSeconds(p.message, clock);
                return new AnthropicError(429, "rate_limit_error", message, reset);
            }
            case "14018" -> {
                return new AnthropicError(429, "rate_limit_error", message, Optional.empty());
            }
            case "11101", "11102", "11133", "11150", "11151" -> {
                return new AnthropicError(400, "invalid_request_error", message, Optional.empty());
            }
            case "11128", "11140" -> {
                return new AnthropicError(403, "permission_error", message, Optional.empty());
            }
            case "11134" -> {
                return new AnthropicError(529, "overloaded_error", message, Optional.empty());
            }
            case "context_length_exceeded" -> {
                return new AnthropicError(
                        400, "invalid_request_error", "prompt is too long: " + message, Optional.empty());
            }
            default -> {}
        }
        return byStatus(status, message, headerRetry, p.type);
    }

    /** Type for an error object that arrived inside a 200 stream ({@code data: {"error":{…}}}). */
    static AnthropicError fromStreamError(JsonNode error) {
        int status = error.path("status")
                .asInt(error.path("code").isInt() ? error.path("code").asInt() : 0);
        String type = error.path("type").asText("");
        String code = error.path("code").asText("");
        if (status < 400) {
            status = switch (type.isEmpty() ? code : type) {
                case "invalid_request_error" -> 400;
                case "rate_limit_exceeded", "rate_limit_error", "insufficient_quota" -> 429;
                case "overloaded_error", "overloaded", "service_unavailable" -> 529;
                default -> 500;
            };
        }
        AnthropicError e = map(
                status, Map.of(), JSON.createObjectNode().set("error", error).toString());
        return e;
    }

    private static AnthropicError byStatus(int status, String message, Optional<Long> retry, String upstreamType) {
        String lower = message.toLowerCase(Locale.ROOT) + " " + upstreamType.toLowerCase(Locale.ROOT);
        if (status == 503 || status == 529 || (status >= 500 && lower.contains("overloaded"))) {
            return new AnthropicError(529, "overloaded_error", message, retry);
        }
        return switch (status) {
            case 400, 422 -> new AnthropicError(400, "invalid_request_error", message, Optional.empty());
            case 401 -> new AnthropicError(401, "authentication_error", message, Optional.empty());
            case 402 -> new AnthropicError(402, "billing_error", message, Optional.empty());
            case 403 -> new AnthropicError(403, "permission_error", message, Optional.empty());
            case 404 -> new AnthropicError(404, "not_found_error", message, Optional.empty());
            case 413 -> new AnthropicError(413, "request_too_large", message, Optional.empty());
            case 408, 504 -> new AnthropicError(504, "timeout_error", message, retry);
            case 429 -> new AnthropicError(429, "rate_limit_error", message, retry);
            default -> {
                if (status >= 500 && status < 600) {
                    yield new AnthropicError(status, "api_error", message, retry);
                }
                if (status >= 400 && status < 500) {
                    yield new AnthropicError(400, "invalid_request_error", message, Optional.empty());
                }
                yield new AnthropicError(502, "api_error", message, Optional.empty());
            }
        };
    }

    private record Parsed(String message, String code, String type) {}

    private static Parsed parse(String body, int status) {
        String raw = body == null ? "" : body.strip();
        JsonNode root = null;
        if (!raw.isEmpty()) {
            try {
                root = JSON.readTree(raw);
            } catch (Exception e) {
                root = null;
            }
        }
        if (root == null || !root.isObject()) {
            String text = raw.isEmpty()
                    ? "upstream returned HTTP " + status + " with an empty body"
                    : raw.length() > MAX_RAW ? raw.substring(0, MAX_RAW) + "…" : raw;
            return new Parsed(text, null, "");
        }
        JsonNode err = root.get("error");
        String message = null;
        String code = null;
        String type = "";
        if (err != null && err.isObject()) {
            JsonNode data = err.path("data");
            message = firstText(err.get("message"), err.get("msg"), data.get("msg"), data.get("message"));
            code = firstText(data.get("code"), err.get("code"));
            type = err.path("type").asText("");
        } else if (err != null && err.isTextual()) {
            message = err.asText();
        }
        if (message == null) {
            message = firstText(root.get("msg"), root.get("message"), root.get("detail"));
        }
        if (code == null) {
            code = firstText(root.get("code"));
        }
        if ("0".equals(code)) {
            code = null;
        }
        if (message == null || message.isBlank()) {
            message = raw.length() > MAX_RAW ? raw.substring(0, MAX_RAW) + "…" : raw;
        }
        return new Parsed(message, code, type);
    }

    private static String firstText(JsonNode... nodes) {
        for (JsonNode n : nodes) {
            if (n != null && (n.isTextual() || n.isNumber()) && !n.asText().isEmpty()) {
                return n.asText();
            }
        }
        return null;
    }

    private static Optional<Long> retryAfter(Map<String, List<String>> headers, Clock clock) {
        String ms = header(headers, "retry-after-ms");
        if (ms != null) {
            try {
                return Optional.of(Math.max(1, (long) Math.ceil(Double.parseDouble(ms.trim()) / 1000)));
            } catch (NumberFormatException ignored) {
                // fall through
            }
        }
        String ra = header(headers, "retry-after");
        if (ra == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Math.max(0, (long) Math.ceil(Double.parseDouble(ra.trim()))));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(ra.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                return Optional.of(Math.max(
                        0, Duration.between(clock.instant(), at.toInstant()).toSeconds()));
            } catch (RuntimeException e2) {
                return Optional.empty();
            }
        }
    }

    private static String header(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey() != null
                    && e.getKey().equalsIgnoreCase(name)
                    && e.getValue() != null
                    && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    /** CodeBuddy 6004: "… reset at 2026-09-15 13:25:47 UTC+8" / "将在 2026-09-15 13:25:47 UTC+8 重置". Offset default +8. */
    static Optional<Long> resetSeconds(String text, Clock clock) {
        Matcher m = RESET_TIME.matcher(text);
        if (!m.find()) {
            return Optional.empty();
        }
        try {
            LocalDateTime t = LocalDateTime.parse(m.group(1).replace(' ', 'T'));
            int offset = m.group(2) == null ? 8 : Integer.parseInt(m.group(2));
            long secs = Duration.between(clock.instant(), t.toInstant(ZoneOffset.ofHours(offset)))
                    .toSeconds();
            return Optional.of(Math.max(1, secs));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
