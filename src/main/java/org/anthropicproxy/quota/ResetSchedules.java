package org.anthropicproxy.quota;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.anthropicproxy.config.Durations;

/** The {@link ResetSchedule} kinds and their parser. */
final class ResetSchedules {
    private static final Pattern WEEKLY = Pattern.compile("weekly(?::([a-z]+))?(?:@(\\d{1,2}:\\d{2}))?");
    private static final Pattern DAILY = Pattern.compile("daily(?:@(\\d{1,2}:\\d{2}))?");
    private static final Pattern MONTHLY = Pattern.compile("monthly(?::(\\d{1,2}))?(?:@(\\d{1,2}:\\d{2}))?");

    private ResetSchedules() {}

    static ResetSchedule parse(String spec, ZoneId zone) {
        ZoneId z = zone == null ? ZoneId.systemDefault() : zone;
        String s = spec == null ? "" : spec.strip().toLowerCase(Locale.ROOT);
        if (s.isEmpty()) return new Weekly(DayOfWeek.MONDAY, LocalTime.MIDNIGHT, z);
        Matcher m = WEEKLY.matcher(s);
        if (m.matches()) {
            DayOfWeek day = m.group(1) == null ? DayOfWeek.MONDAY : day(m.group(1), spec);
            return new Weekly(day, time(m.group(2), spec), z);
        }
        m = DAILY.matcher(s);
        if (m.matches()) return new Daily(time(m.group(1), spec), z);
        m = MONTHLY.matcher(s);
        if (m.matches()) {
            int day = m.group(1) == null ? 1 : Integer.parseInt(m.group(1));
            if (day < 1 || day > 31) throw bad(spec, "day of month must be 1..31");
            return new Monthly(day, time(m.group(2), spec), z);
        }
        Duration d = Durations.parseOrNull(s);
        if (d != null && !d.isZero()) return new Fixed(d);
        throw bad(spec, null);
    }

    private static DayOfWeek day(String text, String spec) {
        for (DayOfWeek d : DayOfWeek.values()) {
            String name = d.name().toLowerCase(Locale.ROOT);
            if (name.equals(text) || name.substring(0, 3).equals(text)) return d;
        }
        throw bad(spec, "unknown day '" + text + "'");
    }

    private static LocalTime time(String text, String spec) {
        if (text == null) return LocalTime.MIDNIGHT;
        String[] parts = text.split(":", -1); // HH:mm, as the patterns matched it
        int h = Integer.parseInt(parts[0]);
        int min = Integer.parseInt(parts[1]);
        if (h > 23 || min > 59) throw bad(spec, "time must be HH:mm within 00:00..23:59");
        return LocalTime.of(h, min);
    }

    private static IllegalArgumentException bad(String spec, String detail) {
        return new IllegalArgumentException(
                "unknown reset schedule '" + spec + "'"
                        + (detail == null ? "" : ": " + detail)
                        + " (expected weekly, weekly:FRIDAY@09:00, daily@00:00, monthly, monthly:15@09:00, or a duration like 5h / PT5H)");
    }

    private static String hhmm(LocalTime t) {
        return String.format(Locale.ROOT, "%02d:%02d", t.getHour(), t.getMinute());
    }

    record Weekly(DayOfWeek day, LocalTime time, ZoneId zone) implements ResetSchedule {
        @Override
        public Instant next(Instant now) {
            ZonedDateTime local = now.atZone(zone);
            LocalDate date = local.toLocalDate();
            if (date.getDayOfWeek() != day) date = date.with(TemporalAdjusters.next(day));
            ZonedDateTime candidate = ZonedDateTime.of(date, time, zone);
            if (!candidate.toInstant().isAfter(now)) candidate = ZonedDateTime.of(date.plusWeeks(1), time, zone);
            return candidate.toInstant();
        }

        @Override
        public String describe() {
            return "weekly (" + day.getDisplayName(TextStyle.FULL, Locale.ENGLISH) + " " + hhmm(time) + " "
                    + zone.getId() + ")";
        }
    }

    record Daily(LocalTime time, ZoneId zone) implements ResetSchedule {
        @Override
        public Instant next(Instant now) {
            LocalDate date = now.atZone(zone).toLocalDate();
            ZonedDateTime candidate = ZonedDateTime.of(date, time, zone);
            if (!candidate.toInstant().isAfter(now)) candidate = ZonedDateTime.of(date.plusDays(1), time, zone);
            return candidate.toInstant();
        }

        @Override
        public String describe() {
            return "daily (" + hhmm(time) + " " + zone.getId() + ")";
        }
    }

    record Monthly(int dayOfMonth, LocalTime time, ZoneId zone) implements ResetSchedule {
        @Override
        public Instant next(Instant now) {
            LocalDate first = now.atZone(zone).toLocalDate().withDayOfMonth(1);
            for (int i = 0; i < 3; i++) {
                LocalDate month = first.plusMonths(i);
                LocalDate date = month.withDayOfMonth(Math.min(dayOfMonth, month.lengthOfMonth()));
                Instant candidate = ZonedDateTime.of(date, time, zone).toInstant();
                if (candidate.isAfter(now)) return candidate;
            }
            throw new IllegalStateException("unreachable: no monthly reset within three months of " + now);
        }

        @Override
        public String describe() {
            return "monthly (day " + dayOfMonth + " " + hhmm(time) + " " + zone.getId() + ")";
        }
    }

    record Fixed(Duration after) implements ResetSchedule {
        @Override
        public Instant next(Instant now) {
            return now.plus(after);
        }

        @Override
        public String describe() {
            return "fixed (" + Durations.compact(after) + " after exhaustion)";
        }
    }
}
