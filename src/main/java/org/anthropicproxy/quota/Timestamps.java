package org.anthropicproxy.quota;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Timestamps as stored: UTC, fixed width, millisecond precision ({@code 2025-01-06T00:00:00.000Z}).
 * Fixed width makes them compare correctly as strings, which the Redis Lua scripts rely on.
 */
final class Timestamps {
    private static final DateTimeFormatter FIXED =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Timestamps() {}

    static String format(Instant instant) {
        return instant == null ? null : FIXED.format(instant);
    }

    /**
     * Reads what we write, any ISO-8601 instant or offset date-time, epoch seconds/millis, and the Python anthropic_server.py's naive local
     * {@code datetime.isoformat()} (interpreted in {@code zoneForLocal}). Null for null, blank or unreadable text.
     */
    static Instant parse(String text, ZoneId zoneForLocal) {
        if (text == null || text.isBlank()) return null;
        String s = text.strip();
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException ignored) {
            // next form
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException ignored) {
            // next form
        }
        try {
            return LocalDateTime.parse(s.replace(' ', 'T')).atZone(zoneForLocal).toInstant();
        } catch (DateTimeParseException ignored) {
            // next form
        }
        if (s.matches("\\d{9,13}")) return epoch(Long.parseLong(s));
        return null;
    }

    /** Epoch seconds, or milliseconds when the number is too large to be seconds of this era. */
    static Instant epoch(long value) {
        return value > 100_000_000_000L ? Instant.ofEpochMilli(value) : Instant.ofEpochSecond(value);
    }
}
