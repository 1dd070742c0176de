package org.anthropicproxy.credentials;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the durations people write in config: {@code 300000ms}, {@code 300s}, {@code 5m}, {@code 1h}, ISO-8601. */
final class Durations {
    private static final Pattern WITH_UNIT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private Durations() {
    }

    /** @return the duration, or {@code null} when {@code text} is not a positive duration with a unit */
    static Duration parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = WITH_UNIT.matcher(t);
        if (m.matches()) {
            long n;
            try {
                n = Long.parseLong(m.group(1));
            } catch (NumberFormatException tooBig) {
                return null;
            }
            Duration d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            return d.isZero() ? null : d;
        }
        if (t.startsWith("p")) {
            try {
                Duration d = Duration.parse(t.toUpperCase(Locale.ROOT));
                return d.isNegative() || d.isZero() ? null : d;
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        return null;
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
