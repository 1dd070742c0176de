package org.anthropicproxy.testkit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a simulated upstream answers: a status, headers and body parts written one by one (each flushed, with an
 * optional pause before it), then either a proper end or a dropped connection.
 */
public record UpstreamScript(
        int status,
        Map<String, String> headers,
        List<byte[]> parts,
        Duration pause,
        boolean dropAtEnd,
        Duration stallBeforeHeaders) {

    public static UpstreamScript json(int status, String body) {
        return new UpstreamScript(
                status,
                Map.of("content-type", "application/json"),
                List.of(body.getBytes(StandardCharsets.UTF_8)),
                Duration.ZERO,
                false,
                Duration.ZERO);
    }

    public static UpstreamScript json(int status, String body, Map<String, String> extraHeaders) {
        Map<String, String> h = new LinkedHashMap<>(extraHeaders);
        h.putIfAbsent("content-type", "application/json");
        return new UpstreamScript(
                status, h, List.of(body.getBytes(StandardCharsets.UTF_8)), Duration.ZERO, false, Duration.ZERO);
    }

    public static UpstreamScript raw(int status, String contentType, String body) {
        return new UpstreamScript(
                status,
                Map.of("content-type", contentType),
                List.of(body.getBytes(StandardCharsets.UTF_8)),
                Duration.ZERO,
                false,
                Duration.ZERO);
    }

    /** An event stream sent one SSE event per write. */
    public static UpstreamScript sse(String stream) {
        return new UpstreamScript(
                200,
                Map.of("content-type", "text/event-stream"),
                splitEvents(stream),
                Duration.ZERO,
                false,
                Duration.ZERO);
    }

    public UpstreamScript withPause(Duration d) {
        return new UpstreamScript(status, headers, parts, d, dropAtEnd, stallBeforeHeaders);
    }

    public UpstreamScript withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new UpstreamScript(status, h, parts, pause, dropAtEnd, stallBeforeHeaders);
    }

    /** Keeps only the first {@code n} parts and then drops the connection without ending the body. */
    public UpstreamScript dropAfter(int n) {
        return new UpstreamScript(
                status, headers, parts.subList(0, Math.min(n, parts.size())), pause, true, stallBeforeHeaders);
    }

    public UpstreamScript stallBeforeHeaders(Duration d) {
        return new UpstreamScript(status, headers, parts, pause, dropAtEnd, d);
    }

    static List<byte[]> splitEvents(String stream) {
        List<byte[]> out = new ArrayList<>();
        String normalized = stream.replace("\r\n", "\n");
        int start = 0;
        int idx;
        while ((idx = normalized.indexOf("\n\n", start)) >= 0) {
            out.add(normalized.substring(start, idx + 2).getBytes(StandardCharsets.UTF_8));
            start = idx + 2;
        }
        if (start < normalized.length() && !normalized.substring(start).isBlank()) {
            out.add(normalized.substring(start).getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }
}
