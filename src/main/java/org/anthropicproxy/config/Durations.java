package org.anthropicproxy.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them in config: {@code 250ms}, {@code 10s}, {@code 5m}, {@code 2h}, {@code 1d}, ISO {@code PT10S}, or bare seconds. */
public final class Durations {

    private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");

    private Durations() {
    }

    public static Duration parse(Object value, String key) {
        if (value instanceof Number n) {
            return Duration.ofMillis(Math.round(n.doubleValue() * 1000));
        }
        String s = String.valueOf(value).trim().toLowerCase();
        Matcher m = SIMPLE.matcher(s);
        if (m.matches()) {
            long v = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(v);
                case "m" -> Duration.ofMinutes(v);
                case "h" -> Duration.ofHours(v);
                case "d" -> Duration.ofDays(v);
                default -> Duration.ofSeconds(v);
            };
        }
        try {
            return Duration.parse(s.toUpperCase());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(key + ": '" + value + "' is not a duration (e.g. 500ms, 10s, 5m, 1h)");
        }
    }
}
