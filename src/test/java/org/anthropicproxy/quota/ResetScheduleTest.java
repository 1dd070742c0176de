package org.anthropicproxy.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(10)
class ResetScheduleTest {
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");

    static Instant local(String dateTime, ZoneId zone) {
        return LocalDateTime.parse(dateTime).atZone(zone).toInstant();
    }

    /** 2026-11-23 is a Monday. */
    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource({
        "2026-11-23T00:00:00, 2026-11-30T00:00", // Monday at midnight exactly: the following Monday
        "2026-11-23T00:00:01, 2026-11-30T00:00", // Monday (anthropic_server.py: today Monday → following Monday)
        "2026-11-23T23:59:59, 2026-11-30T00:00",
        "2026-11-24T10:00:00, 2026-11-30T00:00", // Tuesday
        "2026-11-25T10:00:00, 2026-11-30T00:00", // Wednesday
        "2026-11-26T10:00:00, 2026-11-30T00:00", // Thursday
        "2026-11-27T10:00:00, 2026-11-30T00:00", // Friday
        "2026-11-28T10:00:00, 2026-11-30T00:00", // Saturday
        "2026-11-29T23:59:59, 2026-11-30T00:00", // Sunday, one second before
    })
    void weeklyIsNextMondayMidnightLocal(String now, String expected) {
        ResetSchedule weekly = ResetSchedule.parse("weekly", SHANGHAI);
        assertThat(weekly.next(local(now, SHANGHAI))).isEqualTo(local(expected + ":00", SHANGHAI));
    }

    @Test
    void weeklyFromEveryDayOfAWeekLandsOnAMondayWithinSevenDays() {
        ResetSchedule weekly = ResetSchedule.parse(null, BERLIN);
        LocalDate monday = LocalDate.of(2026, 11, 23);
        for (int d = 0; d < 7; d++) {
            Instant now = monday.plusDays(d).atTime(12, 0).atZone(BERLIN).toInstant();
            ZonedDateTime next = weekly.next(now).atZone(BERLIN);
            assertThat(next.getDayOfWeek()).isEqualTo(DayOfWeek.MONDAY);
            assertThat(next.toLocalTime().toString()).isEqualTo("00:00");
            assertThat(next.toLocalDate()).isEqualTo(LocalDate.of(2026, 11, 30));
        }
    }

    @Test
    void weeklyWithDayAndTime() {
        ResetSchedule friday = ResetSchedule.parse("weekly:FRIDAY@09:00", BERLIN);
        assertThat(friday.next(local("2026-11-27T08:59:00", BERLIN))).isEqualTo(local("2026-11-27T09:00:00", BERLIN));
        assertThat(friday.next(local("2026-11-27T09:00:00", BERLIN))).isEqualTo(local("2026-12-04T09:00:00", BERLIN));
        assertThat(ResetSchedule.parse("Weekly:fri", BERLIN).next(local("2026-11-23T00:00:00", BERLIN)))
                .isEqualTo(local("2026-11-27T00:00:00", BERLIN));
        assertThat(friday.describe()).isEqualTo("weekly (Friday 09:00 Europe/Berlin)");
        assertThat(ResetSchedule.parse("weekly", BERLIN).describe()).isEqualTo("weekly (Monday 00:00 Europe/Berlin)");
    }

    @Test
    void weeklyAcrossDaylightSavingChange() {
        // Berlin leaves DST on Sunday 2026-10-25: the Monday after is UTC+1, the week before was UTC+2
        ResetSchedule weekly = ResetSchedule.parse("weekly", BERLIN);
        Instant next = weekly.next(local("2026-10-22T12:00:00", BERLIN));
        assertThat(next).isEqualTo(Instant.parse("2026-10-25T23:00:00Z"));
        // spring forward: 2026-03-29 02:00 → 03:00; a Sunday 02:30 reset falls into the gap and moves forward by it
        ResetSchedule sunday = ResetSchedule.parse("weekly:sunday@02:30", BERLIN);
        Instant gap = sunday.next(local("2026-03-28T12:00:00", BERLIN));
        assertThat(gap).isEqualTo(Instant.parse("2026-03-29T01:30:00Z"));
        assertThat(gap.atZone(BERLIN).toLocalTime().toString()).isEqualTo("03:30");
    }

    @Test
    void dailyAcrossDaylightSaving() {
        ResetSchedule daily = ResetSchedule.parse("daily@00:00", BERLIN);
        assertThat(daily.next(local("2026-10-25T10:00:00", BERLIN))).isEqualTo(Instant.parse("2026-10-25T23:00:00Z"));
        assertThat(daily.next(local("2026-10-24T10:00:00", BERLIN))).isEqualTo(Instant.parse("2026-10-24T22:00:00Z"));
        assertThat(ResetSchedule.parse("daily@06:30", BERLIN).next(local("2026-11-24T06:29:00", BERLIN)))
                .isEqualTo(local("2026-11-24T06:30:00", BERLIN));
        assertThat(daily.describe()).isEqualTo("daily (00:00 Europe/Berlin)");
    }

    @Test
    void monthly() {
        ResetSchedule monthly = ResetSchedule.parse("monthly", BERLIN);
        assertThat(monthly.next(local("2026-11-24T10:00:00", BERLIN))).isEqualTo(local("2026-12-01T00:00:00", BERLIN));
        assertThat(monthly.next(local("2026-12-01T00:00:00", BERLIN))).isEqualTo(local("2027-01-01T00:00:00", BERLIN));
        ResetSchedule the31st = ResetSchedule.parse("monthly:31@09:00", BERLIN);
        assertThat(the31st.next(local("2027-02-01T00:00:00", BERLIN))).isEqualTo(local("2027-02-28T09:00:00", BERLIN));
    }

    @Test
    void fixedDurationFromExhaustion() {
        Instant now = Instant.parse("2026-11-24T10:00:00Z");
        assertThat(ResetSchedule.parse("PT5H", BERLIN).next(now)).isEqualTo(now.plusSeconds(5 * 3600));
        assertThat(ResetSchedule.parse("5h", BERLIN).next(now)).isEqualTo(now.plusSeconds(5 * 3600));
        assertThat(ResetSchedule.parse("90m", BERLIN).next(now)).isEqualTo(now.plusSeconds(90 * 60));
        assertThat(ResetSchedule.parse("5h", BERLIN).describe()).isEqualTo("fixed (5h after exhaustion)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"fortnightly", "weekly:funday", "daily@25:00", "monthly:32", "0s", "weekly@9"})
    void rejectsUnknownSpecsNamingThem(String spec) {
        assertThatThrownBy(() -> ResetSchedule.parse(spec, BERLIN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(spec);
    }
}
