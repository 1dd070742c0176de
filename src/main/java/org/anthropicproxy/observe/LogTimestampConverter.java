package org.anthropicproxy.observe;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * {@code %ts{pattern}}: the event's time as {@code %d{pattern}} writes it, for a pattern with {@code .SSS} in it, but
 * the date and zone are formatted once per second, not per line. Logback's own converter caches one millisecond only,
 * so every access line paid a {@code DateTimeFormatter} run per appender (about a third of the line's cost; the
 * answer's I/O thread writes it). Zone offsets change on whole seconds, so the second's parts are exact.
 */
public final class LogTimestampConverter extends ClassicConverter {

    private static final String MILLIS = ".SSS";
    private static final String DEFAULT_PATTERN = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";

    /** The formatted parts of one second: before and after the milliseconds. */
    private record Second(long epochSecond, String before, String after) {}

    private DateTimeFormatter before;
    private DateTimeFormatter after;
    private ZoneId zone;
    private volatile Second last = new Second(Long.MIN_VALUE, "", "");

    @Override
    public void start() {
        List<String> options = getOptionList();
        String pattern = options == null || options.isEmpty() ? DEFAULT_PATTERN : options.get(0);
        int at = pattern.indexOf(MILLIS);
        if (at < 0 || pattern.indexOf(MILLIS, at + 1) >= 0) {
            addError("%ts needs a pattern with '.SSS' in it once: " + pattern);
            pattern = DEFAULT_PATTERN;
            at = pattern.indexOf(MILLIS);
        }
        zone = ZoneId.systemDefault();
        before = DateTimeFormatter.ofPattern(pattern.substring(0, at)).withZone(zone);
        String rest = pattern.substring(at + MILLIS.length());
        after = rest.isEmpty() ? null : DateTimeFormatter.ofPattern(rest).withZone(zone);
        super.start();
    }

    @Override
    public String convert(ILoggingEvent event) {
        long millis = event.getTimeStamp();
        long second = Math.floorDiv(millis, 1000);
        Second s = last;
        if (s.epochSecond() != second) {
            Instant at = Instant.ofEpochSecond(second);
            s = new Second(second, before.format(at), after == null ? "" : after.format(at));
            last = s;
        }
        int ms = (int) Math.floorMod(millis, 1000);
        StringBuilder sb = new StringBuilder(s.before().length() + 4 + s.after().length())
                .append(s.before())
                .append('.');
        if (ms < 100) {
            sb.append(ms < 10 ? "00" : "0");
        }
        return sb.append(ms).append(s.after()).toString();
    }
}
