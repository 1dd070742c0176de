package org.anthropicproxy.credentials;

import java.time.Duration;
import java.util.Locale;

/** Parses the durations people write in config: {@code 300000ms}, {@code 300s}, {@code 5m}, {@code 1h}, ISO-8601. */
final class Durations {

    private Durations() {
    }

    /** @return the duration, or {@code null} when {@code text} is not a positive duration with a unit */
    static Duration parse(String text) {
        if (text.trim().matches("\\d+")) {
            return null;
        }
        Duration d = org.anthropicproxy.config.Durations.parseOrNull(text);
        return d == null || d.isZero() ? null : d;
    }

    /** Environment values follow the original tool: a bare number is in {@code bareUnit}; a unit may be given. */
    static Duration parseEnv(String name, String value, java.time.temporal.ChronoUnit bareUnit) {
        String v = value.trim();
        if (v.matches("\\d+")) {
            long n = Long.parseLong(v);
            if (n > 0) {
                return Duration.of(n, bareUnit);
            }
        } else {
            Duration d = parse(v);
            if (d != null) {
                return d;
            }
        }
        throw new IllegalArgumentException("environment variable " + name + " must be a positive number of "
                + bareUnit.toString().toLowerCase(Locale.ROOT) + " or a duration like 5m, got '" + v + "'");
    }
}
