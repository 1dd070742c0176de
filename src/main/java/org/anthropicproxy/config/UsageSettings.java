package org.anthropicproxy.config;

import java.time.Duration;
import java.util.Map;

/**
 * Where usage history is kept and how it is priced.
 *
 * @param store     {@code sqlite:PATH}, {@code redis://…} or {@code none}
 * @param retention how long per-request rows and daily aggregates are kept
 * @param pricing   USD per million tokens by upstream model name (exact, or a glob with {@code *}); these come before
 *                  the built-in Claude family prices
 */
public record UsageSettings(String store, Duration retention, Map<String, Price> pricing) {

    public static final Duration DEFAULT_RETENTION = Duration.ofDays(90);

    /** USD per million tokens of each kind. */
    public record Price(double input, double output, double cacheRead, double cacheWrite) {}

    /** The default store: the quota store's Redis when it is one (every instance sees all), else usage.db beside the quota file. */
    public static String defaultStore(String quotaStore) {
        String q = quotaStore.strip();
        String lower = q.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("redis://") || lower.startsWith("rediss://")) {
            return q;
        }
        java.nio.file.Path parent = java.nio.file.Path.of(q).getParent();
        return "sqlite:"
                + (parent == null ? "usage.db" : parent.resolve("usage.db").toString());
    }
}
