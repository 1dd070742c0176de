package org.anthropicproxy.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations as people write them in config and as upstreams write them in headers. */
public final class Durations {
    /** Longest wait we believe from any upstream; protects against overflow from garbage numbers. */
    public static final Duration MAX_PLAUSIBLE = Duration.ofDays(366);

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|us|µs|ns|s|m|h|d|w)");

    private Durations() {}

    /**
     * "30s", "500ms", "5m", "1h30m", "2d", "1w", Go style "6m0.5s", ISO "PT5H"/"P1D", or a bare number of seconds.
     *
     * @throws IllegalArgumentException naming the text when it is not a duration
     */
    public static Duration parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("empty duration");
        String s = text.strip().toLowerCase(Locale.ROOT);
        try {
            if (s.startsWith("p")) return Duration.parse(s.toUpperCase(Locale.ROOT));
            if (s.matches("\\d+(\\.\\d+)?")) return clamp(fromUnits(Double.parseDouble(s), "s"));
            Matcher m = PART.matcher(s);
            int at = 0;
            Duration total = Duration.ZERO;
            while (at < s.length() && m.find(at) && m.start() == at) {
                total = total.plus(fromUnits(Double.parseDouble(m.group(1)), m.group(2)));
                at = m.end();
            }
            if (at == s.length() && at > 0) return clamp(total);
        } catch (RuntimeException e) {
            // fall through to the uniform message
        }
        throw new IllegalArgumentException("not a duration: '" + text + "' (expected e.g. 30s, 5m, 1h30m, 2d or PT5H)");
    }

    /** A config value (a number is seconds); the error names the key. */
    public static Duration parse(Object value, String key) {
        if (value instanceof Number n) {
            return fromUnits(n.doubleValue(), "s");
        }
        try {
            return parse(String.valueOf(value));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": '" + value + "' is not a duration (e.g. 500ms, 10s, 5m, 1h)");
        }
    }

    /** A positive duration written with its unit ({@code 300000ms}, {@code 5m}, ISO-8601); null for a bare number or anything else. */
    public static Duration parseWithUnit(String text) {
        if (text == null || text.strip().matches("\\d+")) {
            return null;
        }
        Duration d = parseOrNull(text);
        return d == null || d.isZero() ? null : d;
    }

    /**
     * An environment variable's duration as the Python anthropic_server.py reads it: a bare number is in
     * {@code bareUnit}, or a duration with its unit.
     *
     * @throws IllegalArgumentException naming the variable when the value is neither
     */
    public static Duration parseEnv(String name, String value, ChronoUnit bareUnit) {
        String v = value.strip();
        if (v.matches("\\d+")) {
            long n = Long.parseLong(v);
            if (n > 0) {
                return Duration.of(n, bareUnit);
            }
        } else {
            Duration d = parseWithUnit(v);
            if (d != null) {
                return d;
            }
        }
        throw new IllegalArgumentException("environment variable " + name + " must be a positive number of "
                + bareUnit.toString().toLowerCase(Locale.ROOT) + " or a duration like 5m, got '" + v + "'");
    }

    /** Like {@link #parse} but null for anything unparsable. */
    public static Duration parseOrNull(String text) {
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    public static Duration fromUnits(double amount, String unit) {
        double nanosPerUnit = switch (unit) {
            case "ns" -> 1;
            case "us", "µs" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "m" -> 60e9;
            case "h" -> 3600e9;
            case "d" -> 86400e9;
            case "w" -> 7 * 86400e9;
            default -> throw new IllegalArgumentException("unit " + unit);
        };
        double nanos = amount * nanosPerUnit;
        if (Double.isNaN(nanos) || nanos < 0) throw new IllegalArgumentException("negative");
        if (nanos > MAX_PLAUSIBLE.toNanos()) return MAX_PLAUSIBLE;
        return Duration.ofNanos((long) nanos);
    }

    public static Duration clamp(Duration d) {
        if (d.isNegative()) return Duration.ZERO;
        return d.compareTo(MAX_PLAUSIBLE) > 0 ? MAX_PLAUSIBLE : d;
    }

    /** "Xd Yh Zm", the Python anthropic_server.py's format for {@code time_until_reset}. */
    public static String dayHourMinute(Duration d) {
        return d.toDays() + "d " + d.toHoursPart() + "h " + d.toMinutesPart() + "m";
    }

    /** Compact form for descriptions: "5h", "1h30m", "2d", "45s". */
    public static String compact(Duration d) {
        StringBuilder sb = new StringBuilder();
        if (d.toDays() > 0) sb.append(d.toDays()).append('d');
        if (d.toHoursPart() > 0) sb.append(d.toHoursPart()).append('h');
        if (d.toMinutesPart() > 0) sb.append(d.toMinutesPart()).append('m');
        if (d.toSecondsPart() > 0) sb.append(d.toSecondsPart()).append('s');
        if (d.toMillisPart() > 0) sb.append(d.toMillisPart()).append("ms");
        return sb.isEmpty() ? "0s" : sb.toString();
    }
}
