package org.anthropicproxy.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/** Judges what the proxy answered: an Anthropic-shaped error, a JSON success or a stream ending properly. */
public final class AnthropicAnswers {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AnthropicAnswers() {}

    /** The error type of an Anthropic-shaped JSON error body, or null when the body is not one. */
    public static String errorType(String contentType, byte[] body) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            return null;
        }
        try {
            JsonNode j = JSON.readTree(body);
            if (j != null
                    && "error".equals(j.path("type").asText())
                    && j.path("error").path("type").isTextual()
                    && j.path("error").path("message").isTextual()) {
                return j.path("error").path("type").asText();
            }
        } catch (Exception e) {
            return null;
        }
        return null;
    }

    /** Null when a 2xx answer is a JSON object or an event stream ending in message_stop; else what is wrong. */
    public static String successViolation(String contentType, byte[] body) {
        String ct = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        if (ct.startsWith("application/json")) {
            try {
                JsonNode j = JSON.readTree(body);
                return j != null && j.isObject() ? null : "2xx JSON that is not an object";
            } catch (Exception e) {
                return "2xx with unparseable JSON";
            }
        }
        if (ct.startsWith("text/event-stream")) {
            List<AnthropicEventRecorder.Event> events = AnthropicEventRecorder.parseSse(body);
            List<String> v = AnthropicStreamGrammar.lenientUsage().violations(events);
            if (!v.isEmpty()) {
                return "stream grammar: " + v;
            }
            if (events.isEmpty()
                    || !"message_stop".equals(events.get(events.size() - 1).type())) {
                return "stream without message_stop: " + new String(body, StandardCharsets.UTF_8);
            }
            return null;
        }
        return "2xx with content type " + contentType;
    }

    /** The last event's name of an SSE body, or null when it has none. */
    public static String lastEvent(byte[] body) {
        List<AnthropicEventRecorder.Event> events = AnthropicEventRecorder.parseSse(body);
        return events.isEmpty() ? null : events.get(events.size() - 1).type();
    }

    /** The error type in the data of the last event when it is an Anthropic-shaped {@code error} event, else null. */
    public static String lastErrorEventType(byte[] body) {
        List<AnthropicEventRecorder.Event> events = AnthropicEventRecorder.parseSse(body);
        if (events.isEmpty() || !"error".equals(events.get(events.size() - 1).type())) {
            return null;
        }
        return errorType(
                "application/json", events.get(events.size() - 1).json().getBytes(StandardCharsets.UTF_8));
    }
}
