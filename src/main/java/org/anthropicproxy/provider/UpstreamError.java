package org.anthropicproxy.provider;

import java.util.List;
import java.util.Map;

/**
 * What an upstream answered when it failed: an HTTP error (status, headers, body), the JSON of an SSE {@code error}
 * event that came before any content ({@code status} 200), or no answer at all ({@code status} 0: connection
 * refused, reset or timed out before the response headers).
 */
public record UpstreamError(int status, Map<String, List<String>> headers, String body, boolean connectFailure) {

    public static UpstreamError noAnswer(String message) {
        return new UpstreamError(0, Map.of(), message, true);
    }
}
