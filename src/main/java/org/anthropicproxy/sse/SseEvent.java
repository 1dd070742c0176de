package org.anthropicproxy.sse;

/**
 * One dispatched server-sent event.
 *
 * @param event the {@code event:} field, or {@code null} when the event had none
 * @param data  the {@code data:} lines joined with {@code \n} (empty when there were none)
 */
public record SseEvent(String event, String data) {

    /** The event name the client acts on: SSE says a missing name means {@code message}. */
    public String name() {
        return name(event);
    }

    /** The same for an {@code event:} field as a {@link SseParser.RawListener} gets it. */
    public static String name(String event) {
        return event == null ? "message" : event;
    }
}
