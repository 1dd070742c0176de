package org.anthropicproxy.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** A clock tests move by hand. Thread-safe; {@link #withZone} views share the same time. */
public final class MutableClock extends Clock {
    private final AtomicReference<Instant> now;
    private final ZoneId zone;

    private MutableClock(AtomicReference<Instant> now, ZoneId zone) {
        this.now = now;
        this.zone = zone;
    }

    public MutableClock(Instant start, ZoneId zone) {
        this(new AtomicReference<>(start), zone);
    }

    /** Now, in UTC: for tests that only move time forward from the present. */
    public static MutableClock atSystemTime() {
        return new MutableClock(Instant.now(), ZoneOffset.UTC);
    }

    /** At a local date-time ("2026-11-23T00:00") in {@code zone}. */
    public static MutableClock atLocal(String localDateTime, ZoneId zone) {
        return new MutableClock(LocalDateTime.parse(localDateTime).atZone(zone).toInstant(), zone);
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return new MutableClock(now, zone);
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    public void set(Instant instant) {
        now.set(instant);
    }

    public void setLocal(String localDateTime) {
        now.set(LocalDateTime.parse(localDateTime).atZone(zone).toInstant());
    }

    public void advance(Duration d) {
        now.updateAndGet(i -> i.plus(d));
    }
}
