package org.anthropicproxy.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.anthropicproxy.provider.ProviderStatus.State;
import org.anthropicproxy.testkit.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

@Timeout(10)
class HealthTrackerTest {

    private final MutableClock clock = MutableClock.atLocal("2026-11-25T10:00", ZoneOffset.UTC);
    private final HealthTracker tracker = new HealthTracker(
            Map.of("strict", new HealthSettings(1, Duration.ofSeconds(10), Duration.ofSeconds(25))),
            HealthSettings.DEFAULTS,
            clock);
    private final Logger logger = (Logger) LoggerFactory.getLogger(HealthTracker.class);
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private Level previous;

    @BeforeEach
    void captureLogs() {
        previous = logger.getLevel();
        logs.start();
        logger.addAppender(logs);
        logger.setLevel(Level.INFO);
        logger.setAdditive(false);
    }

    @AfterEach
    void releaseLogs() {
        logger.detachAppender(logs);
        logger.setLevel(previous);
        logger.setAdditive(true);
    }

    private void fail(String provider, int times) {
        for (int i = 0; i < times; i++) {
            tracker.failed(provider, "HTTP 500 api_error: boom");
        }
    }

    @Test
    void anUnknownProviderIsAvailable() {
        assertThat(tracker.status("native")).isEqualTo(new ProviderStatus(State.AVAILABLE, null, null, 0, 0));
    }

    @Test
    void twoFailuresInARowDoNotEjectTheThirdDoes() {
        fail("native", 2);
        assertThat(tracker.status("native").state()).isEqualTo(State.AVAILABLE);
        assertThat(tracker.status("native").consecutiveFailures()).isEqualTo(2);
        fail("native", 1);
        ProviderStatus s = tracker.status("native");
        assertThat(s.state()).isEqualTo(State.EJECTED);
        assertThat(s.until()).isEqualTo(clock.instant().plusSeconds(30));
        assertThat(s.reason()).isEqualTo("HTTP 500 api_error: boom");
        assertThat(s.ejections()).isEqualTo(1);
        clock.advance(Duration.ofSeconds(30));
        assertThat(tracker.status("native").state()).isEqualTo(State.AVAILABLE);
    }

    @Test
    void aSuccessResetsTheCount() {
        fail("native", 2);
        tracker.succeeded("native");
        fail("native", 2);
        assertThat(tracker.status("native").state()).isEqualTo(State.AVAILABLE);
        assertThat(tracker.status("native").consecutiveFailures()).isEqualTo(2);
        assertThat(tracker.status("native").reason()).isEqualTo("HTTP 500 api_error: boom");
    }

    @Test
    void failedProbesEjectAgainForLongerUpToTheCap() {
        fail("strict", 1);
        assertThat(tracker.status("strict").until()).isEqualTo(clock.instant().plusSeconds(10));
        clock.advance(Duration.ofSeconds(10));
        fail("strict", 1);
        assertThat(tracker.status("strict").until()).isEqualTo(clock.instant().plusSeconds(20));
        clock.advance(Duration.ofSeconds(20));
        fail("strict", 1);
        assertThat(tracker.status("strict").until()).isEqualTo(clock.instant().plusSeconds(25));
        assertThat(tracker.status("strict").ejections()).isEqualTo(3);
    }

    @Test
    void failuresWhileEjectedDoNotExtendTheEjection() {
        fail("native", 3);
        clock.advance(Duration.ofSeconds(10));
        fail("native", 5);
        assertThat(tracker.status("native").until()).isEqualTo(clock.instant().plusSeconds(20));
        assertThat(tracker.status("native").consecutiveFailures()).isEqualTo(8);
    }

    @Test
    void aSuccessWhileEjectedEndsTheEjectionAndTheMultiplierStepsDownAfterCalmPeriods() {
        fail("native", 3);
        clock.advance(Duration.ofSeconds(30));
        fail("native", 1); // failed probe: second ejection, 60 s
        assertThat(tracker.status("native").until()).isEqualTo(clock.instant().plusSeconds(60));
        tracker.succeeded("native"); // served in panic routing
        assertThat(tracker.status("native").state()).isEqualTo(State.AVAILABLE);

        // no calm period yet: the next ejection is the third in a row
        fail("native", 3);
        assertThat(tracker.status("native").until()).isEqualTo(clock.instant().plusSeconds(90));
        tracker.succeeded("native");
        // two calm periods of base_ejection with successes step the multiplier down twice, from three to one
        clock.advance(Duration.ofSeconds(29));
        tracker.succeeded("native");
        clock.advance(Duration.ofSeconds(1));
        tracker.succeeded("native");
        clock.advance(Duration.ofSeconds(30));
        tracker.succeeded("native");
        fail("native", 3);
        assertThat(tracker.status("native").until()).isEqualTo(clock.instant().plusSeconds(60));
        tracker.succeeded("native");
        clock.advance(Duration.ofSeconds(30));
        tracker.succeeded("native");
        clock.advance(Duration.ofSeconds(30));
        tracker.succeeded("native");
        fail("native", 3);
        assertThat(tracker.status("native").until()).isEqualTo(clock.instant().plusSeconds(30)); // back to the first
    }

    @Test
    void oneInfoLineWhenEjectedAndOneWhenItReturns() {
        fail("native", 3);
        fail("native", 2);
        tracker.succeeded("native");
        tracker.succeeded("native");
        List<String> lines = logs.list.stream()
                .filter(e -> e.getLevel() == Level.INFO)
                .map(ILoggingEvent::getFormattedMessage)
                .toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0))
                .contains("provider 'native' ejected for 30s after 3 failures in a row")
                .contains("HTTP 500");
        assertThat(lines.get(1)).contains("provider 'native' returns");
    }

    @Test
    void settingsComeFromYamlOnTopOfTheDefaultsAndRejectUnknownKeys() {
        Map<String, Object> yaml = new LinkedHashMap<>();
        yaml.put("consecutive_failures", 5);
        yaml.put("base_ejection", "10s");
        yaml.put("max_ejection", "2m");
        assertThat(HealthSettings.fromMap(yaml, HealthSettings.DEFAULTS, "providers.native.health"))
                .isEqualTo(new HealthSettings(5, Duration.ofSeconds(10), Duration.ofMinutes(2)));
        assertThat(HealthSettings.fromMap(Map.of("base_ejection", 45), HealthSettings.DEFAULTS, "health"))
                .isEqualTo(new HealthSettings(3, Duration.ofSeconds(45), Duration.ofMinutes(5)));
        assertThat(HealthSettings.fromMap(Map.of(), HealthSettings.DEFAULTS, "health"))
                .isEqualTo(HealthSettings.DEFAULTS);

        assertThatThrownBy(() ->
                        HealthSettings.fromMap(Map.of("ejection", "1m"), HealthSettings.DEFAULTS, "providers.x.health"))
                .hasMessage(
                        "providers.x.health: unknown key 'ejection' (known: consecutive_failures, base_ejection, max_ejection)");
        assertThatThrownBy(() ->
                        HealthSettings.fromMap(Map.of("consecutive_failures", 0), HealthSettings.DEFAULTS, "health"))
                .hasMessageContaining("health.consecutive_failures");
        assertThatThrownBy(() -> HealthSettings.fromMap(
                        Map.of("consecutive_failures", "three"), HealthSettings.DEFAULTS, "health"))
                .hasMessageContaining("health.consecutive_failures");
        assertThatThrownBy(
                        () -> HealthSettings.fromMap(Map.of("max_ejection", "10s"), HealthSettings.DEFAULTS, "health"))
                .hasMessageContaining("health: max_ejection (10s) is shorter than base_ejection (30s)");
        assertThatThrownBy(
                        () -> HealthSettings.fromMap(Map.of("base_ejection", "0s"), HealthSettings.DEFAULTS, "health"))
                .hasMessageContaining("health: base_ejection and max_ejection must be positive");
    }
}
