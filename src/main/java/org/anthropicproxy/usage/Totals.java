package org.anthropicproxy.usage;

/** Request and token counts, summed. */
public record Totals(long requests, long inputTokens, long outputTokens, long cacheReadTokens, long cacheWriteTokens) {

    public static final Totals ZERO = new Totals(0, 0, 0, 0, 0);

    static Totals of(UsageRecord r) {
        return new Totals(1, r.inputTokens(), r.outputTokens(), r.cacheReadTokens(), r.cacheWriteTokens());
    }

    public Totals plus(Totals o) {
        return new Totals(
                requests + o.requests,
                inputTokens + o.inputTokens,
                outputTokens + o.outputTokens,
                cacheReadTokens + o.cacheReadTokens,
                cacheWriteTokens + o.cacheWriteTokens);
    }

    public long tokens() {
        return inputTokens + outputTokens + cacheReadTokens + cacheWriteTokens;
    }
}
