package org.anthropicproxy.sse;

/** The upstream's event stream cannot be parsed (an event beyond the size limit). */
public final class SseException extends RuntimeException {
    public SseException(String message) {
        super(message);
    }
}
