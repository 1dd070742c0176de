package org.anthropicproxy.quota;

import java.time.Instant;
import java.time.ZoneId;

/** When an exhausted quota comes back, if the upstream did not say. */
public interface ResetSchedule {

    /** The first reset strictly after {@code now}. */
    Instant next(Instant now);

    /** For {@code reset_policy} in {@code GET /v1/quota}, e.g. "weekly (Monday 00:00 Europe/Berlin)". */
    String describe();

    /**
     * Parses a schedule, case-insensitively:
     * <ul>
     *   <li>{@code weekly} (the default, also for null/blank) = {@code weekly:MONDAY@00:00}; {@code weekly:FRIDAY@09:00},
     *       {@code weekly:fri}. The Python anthropic_server.py's rule: next Monday 00:00 local; on a Monday, the following Monday.</li>
     *   <li>{@code daily}, {@code daily@06:30}</li>
     *   <li>{@code monthly} (1st, 00:00), {@code monthly:15@09:00} (days past the month's end mean its last day)</li>
     *   <li>a fixed duration from the moment of exhaustion: {@code 5h}, {@code PT5H}, {@code 90m}</li>
     * </ul>
     * Local times are in {@code zone}; a time that falls in a DST gap moves forward by the gap, an ambiguous one takes
     * the earlier offset.
     *
     * @throws IllegalArgumentException naming the spec when it is not one of these
     */
    static ResetSchedule parse(String spec, ZoneId zone) {
        return ResetSchedules.parse(spec, zone);
    }
}
