package org.anthropicproxy.usage;

/**
 * One request as the usage history keeps it. Made on the request's thread from what the access log saw, so it holds
 * only references and numbers; everything else (day, JSON, SQL) happens on the writer thread.
 *
 * @param timeMillis   when the request started (epoch milliseconds, from the recorder's clock)
 * @param keyId        a short hash of the client key ({@link org.anthropicproxy.server.ClientAuth}), never the key;
 *                     null when no keys are configured
 * @param ttfbMicros   time to the first byte of the answer, -1 when nothing was sent
 * @param inputTokens  as the upstream reported them, Anthropic semantics (cache reads and writes not included)
 */
public record UsageRecord(
        long timeMillis,
        String requestId,
        String keyId,
        String provider,
        String clientModel,
        String upstreamModel,
        boolean stream,
        int status,
        int failovers,
        long ttfbMicros,
        long durationMicros,
        long inputTokens,
        long outputTokens,
        long cacheReadTokens,
        long cacheWriteTokens) {

    /** Stands for a missing provider, model or key in aggregates, whose keys cannot be null. */
    public static final String NONE = "-";

    static String orNone(String s) {
        return s == null || s.isEmpty() ? NONE : s;
    }
}
