package org.anthropicproxy.provider.openai;

/** Receives Anthropic SSE events; {@code type} is the SSE event name and equals the JSON {@code type}. */
@FunctionalInterface
public interface AnthropicEventSink {
    void event(String type, String json);
}
