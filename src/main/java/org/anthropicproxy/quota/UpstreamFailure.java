package org.anthropicproxy.quota;

import java.util.List;
import java.util.Map;

/**
 * What an upstream answered when it failed, before any content reached the client.
 *
 * @param status  HTTP status; for an SSE {@code error} event after a 200 the caller may pass 200 (or 0): the classifier
 *                then goes by the event's {@code error.type}
 * @param headers response headers with lower-case names (upper-case names are tolerated)
 * @param body    an HTTP error body or the JSON of an SSE {@code error} event; any text, may be null
 */
public record UpstreamFailure(int status, Map<String, List<String>> headers, String body) {
    public UpstreamFailure {
        headers = headers == null ? Map.of() : headers;
        body = body == null ? "" : body;
    }

    public UpstreamFailure(int status, String body) {
        this(status, Map.of(), body);
    }
}
