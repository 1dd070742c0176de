package org.anthropicproxy.testkit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.anthropicproxy.provider.openai.AnthropicEventSink;
import org.anthropicproxy.sse.SseParser;

/** Records Anthropic events (type, json) in order; can also parse an Anthropic SSE body. */
public final class AnthropicEventRecorder implements AnthropicEventSink {

    public record Event(String type, String json) {}

    private final List<Event> events = new ArrayList<>();

    @Override
    public void event(String type, String json) {
        events.add(new Event(type, json));
    }

    public List<Event> events() {
        return List.copyOf(events);
    }

    public List<String> types() {
        return events.stream().map(Event::type).toList();
    }

    /** Events of an Anthropic SSE body (event name from {@code event:}, else the JSON type is left to the validator). */
    public static List<Event> parseSse(byte[] body) {
        List<Event> out = new ArrayList<>();
        SseParser p = new SseParser(ev -> out.add(new Event(ev.name(), ev.data())));
        p.feed(body);
        p.feed(new byte[] {'\n', '\n'}); // a body cut right after its last data line still ends that event
        return out;
    }

    public static List<Event> parseSse(String body) {
        return parseSse(body.getBytes(StandardCharsets.UTF_8));
    }
}
