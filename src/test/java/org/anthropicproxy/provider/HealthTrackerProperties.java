package org.anthropicproxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.anthropicproxy.provider.ProviderStatus.State;
import org.anthropicproxy.testkit.MutableClock;

/** A simulation: any sequence of failures, successes and passing time keeps the tracker's promises. */
class HealthTrackerProperties {

    private static final HealthSettings SETTINGS = new HealthSettings(3, Duration.ofSeconds(30), Duration.ofMinutes(5));

    /** One step: 'F' a failure, 'S' a success, or a number of seconds passing. */
    @Provide
    Arbitrary<List<Object>> steps() {
        return Arbitraries.oneOf(
                        Arbitraries.just((Object) 'F'),
                        Arbitraries.just((Object) 'S'),
                        Arbitraries.integers().between(1, 400).map(i -> (Object) i))
                .list()
                .ofMaxSize(80);
    }

    @Property(tries = 500)
    void ejectedOnlyAfterEnoughFailuresInARowNeverLongerThanTheCapAndAlwaysBackAfterIt(
            @ForAll("steps") List<Object> steps) {
        MutableClock clock = MutableClock.atLocal("2026-11-25T10:00", ZoneOffset.UTC);
        HealthTracker tracker = new HealthTracker(Map.of(), SETTINGS, clock);
        int inARow = 0;
        for (Object step : steps) {
            ProviderStatus before = tracker.status("p");
            if (step.equals('F')) {
                tracker.failed("p", "HTTP 500");
                inARow++;
            } else if (step.equals('S')) {
                tracker.succeeded("p");
                inARow = 0;
                assertThat(tracker.status("p").state()).isEqualTo(State.AVAILABLE);
            } else {
                clock.advance(Duration.ofSeconds((Integer) step));
            }
            ProviderStatus s = tracker.status("p");
            assertThat(s.consecutiveFailures()).isEqualTo(inARow);
            if (s.state() == State.EJECTED) {
                assertThat(inARow).isGreaterThanOrEqualTo(SETTINGS.consecutiveFailures());
                Duration left = Duration.between(clock.instant(), s.until());
                assertThat(left).isPositive().isLessThanOrEqualTo(SETTINGS.maxEjection());
                if (before.state() == State.EJECTED) {
                    assertThat(s.until()).isEqualTo(before.until()); // never extended while ejected
                }
            } else {
                assertThat(s.until()).isNull();
            }
        }
        clock.advance(SETTINGS.maxEjection());
        assertThat(tracker.status("p").state()).isEqualTo(State.AVAILABLE);
    }
}
