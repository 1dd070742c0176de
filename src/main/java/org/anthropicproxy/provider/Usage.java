package org.anthropicproxy.provider;

/** Token usage of one request with Anthropic semantics (input excludes cache reads and writes). */
public record Usage(long inputTokens, long outputTokens, long cacheReadTokens, long cacheWriteTokens) {

    public static final Usage NONE = new Usage(0, 0, 0, 0);
}
