package org.anthropicproxy.provider;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.anthropicproxy.config.Durations;

/**
 * When failures eject a provider from its chains, and for how long (Envoy's outlier detection: {@code consecutive_5xx},
 * {@code base_ejection_time}, {@code max_ejection_time}).
 *
 * @param consecutiveFailures failures in a row (5xx, 529, unreachable, timed out) that eject the provider
 * @param baseEjection        the first ejection's length; the n-th ejection in a row lasts n times as long
 * @param maxEjection         no ejection lasts longer
 */
public record HealthSettings(int consecutiveFailures, Duration baseEjection, Duration maxEjection) {

    public static final HealthSettings DEFAULTS = new HealthSettings(3, Duration.ofSeconds(30), Duration.ofMinutes(5));

    public HealthSettings {
        if (consecutiveFailures < 1) {
            throw new IllegalArgumentException("consecutive_failures must be at least 1, got " + consecutiveFailures);
        }
        if (!positive(baseEjection) || !positive(maxEjection)) {
            throw new IllegalArgumentException("base_ejection and max_ejection must be positive durations");
        }
        if (maxEjection.compareTo(baseEjection) < 0) {
            throw new IllegalArgumentException("max_ejection (" + Durations.compact(maxEjection)
                    + ") is shorter than base_ejection (" + Durations.compact(baseEjection) + ")");
        }
    }

    /** How long the {@code n}-th ejection in a row lasts: {@code base × n}, at most {@code max}. */
    public Duration ejection(int n) {
        Duration d = baseEjection.multipliedBy(Math.max(1, n));
        return d.compareTo(maxEjection) > 0 ? maxEjection : d;
    }

    /**
     * {@code base} with the keys of a YAML block on top: {@code consecutive_failures}, {@code base_ejection},
     * {@code max_ejection}.
     *
     * @param where names the block in error messages, e.g. {@code providers.native.health}
     * @throws IllegalArgumentException naming the key and {@code where} for an unknown key or a bad value
     */
    public static HealthSettings fromMap(Map<String, Object> yaml, HealthSettings base, String where) {
        if (yaml == null || yaml.isEmpty()) {
            return base;
        }
        int failures = base.consecutiveFailures();
        Duration ejection = base.baseEjection();
        Duration max = base.maxEjection();
        for (Map.Entry<String, Object> e : yaml.entrySet()) {
            switch (e.getKey()) {
                case "consecutive_failures" -> failures = count(e.getValue(), where);
                case "base_ejection" -> ejection = duration(e.getValue(), where + ".base_ejection");
                case "max_ejection" -> max = duration(e.getValue(), where + ".max_ejection");
                default ->
                    throw new IllegalArgumentException(where + ": unknown key '" + e.getKey()
                            + "' (known: consecutive_failures, base_ejection, max_ejection)");
            }
        }
        try {
            return new HealthSettings(failures, ejection, max);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static int count(Object v, String where) {
        if (v instanceof Integer i && i > 0) {
            return i;
        }
        throw new IllegalArgumentException(
                where + ".consecutive_failures: expected a whole number of at least 1, got '" + v + "'");
    }

    private static Duration duration(Object v, String key) {
        if (v == null || v instanceof Map || v instanceof List) {
            throw new IllegalArgumentException(key + ": expected a duration like 30s or 5m, got '" + v + "'");
        }
        return Durations.parse(v, key);
    }

    private static boolean positive(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }
}
