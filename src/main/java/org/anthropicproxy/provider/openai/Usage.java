package org.anthropicproxy.provider.openai;

/** Token usage with Anthropic semantics: {@code inputTokens} excludes cache reads and writes. */
public record Usage(long inputTokens, long outputTokens, long cacheReadTokens, long cacheWriteTokens) {
}
