package org.anthropicproxy.provider;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.anthropicproxy.config.Durations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each provider's health as this instance sees it from its own traffic: kept in memory, never shared (Envoy's outlier
 * detection works the same way, per host and per proxy).
 *
 * <p>{@code consecutiveFailures} failures in a row (5xx, 529, unreachable, timed out) eject a provider for
 * {@code baseEjection × n}, n being the number of ejections in a row, at most {@code maxEjection}. When an ejection
 * ends, the next request is the probe (a half-open circuit): its success brings the provider back, its failure ejects
 * it again at once, for longer. A success also clears the failure count, and every {@code baseEjection} of successes
 * after a return takes one step off n. Time comes only from the injected clock.
 * Guarded by {@code HealthTrackerTest} and {@code HealthFailoverIT}.
 */
public final class HealthTracker {

    private static final Logger LOG = LoggerFactory.getLogger(HealthTracker.class);

    private final Map<String, HealthSettings> settings;
    private final HealthSettings defaults;
    private final Clock clock;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    public HealthTracker(Map<String, HealthSettings> perProvider, HealthSettings defaults, Clock clock) {
        this.settings = Map.copyOf(perProvider);
        this.defaults = defaults;
        this.clock = clock;
    }

    /** The provider's health now: {@code EJECTED} until its ejection ends, else {@code AVAILABLE}. */
    public ProviderStatus status(String provider) {
        return entry(provider).status(clock.instant());
    }

    /** A failure that counts (5xx, 529, unreachable, timed out). */
    public void failed(String provider, String reason) {
        entry(provider).failed(clock.instant(), reason);
    }

    /** An answer served: the failure count starts again, and an ejected provider returns. */
    public void succeeded(String provider) {
        entry(provider).succeeded(clock.instant());
    }

    /**
     * Forgets the provider's failures and ejection ({@code POST /v1/quota/reset?provider=NAME}); the count of
     * ejections stays, as a metric counter must.
     */
    public void reset(String provider) {
        Entry e = entries.get(provider);
        if (e != null) {
            e.reset();
        }
    }

    public void resetAll() {
        entries.values().forEach(Entry::reset);
    }

    private Entry entry(String provider) {
        return entries.computeIfAbsent(provider, p -> new Entry(p, settings.getOrDefault(p, defaults)));
    }

    private static final class Entry {
        private final String name;
        private final HealthSettings settings;
        private int consecutive;
        private int ejectionsInARow;
        private long ejectionsTotal;
        private Instant ejectedUntil;
        private Instant calmSince;
        private String reason;

        Entry(String name, HealthSettings settings) {
            this.name = name;
            this.settings = settings;
        }

        synchronized ProviderStatus status(Instant now) {
            boolean ejected = ejectedUntil != null && ejectedUntil.isAfter(now);
            return new ProviderStatus(
                    ejected ? ProviderStatus.State.EJECTED : ProviderStatus.State.AVAILABLE,
                    ejected ? ejectedUntil : null,
                    reason,
                    consecutive,
                    ejectionsTotal);
        }

        synchronized void failed(Instant now, String why) {
            consecutive++;
            reason = why;
            boolean ejected = ejectedUntil != null && ejectedUntil.isAfter(now);
            if (!ejected && consecutive >= settings.consecutiveFailures()) {
                ejectionsInARow++;
                ejectionsTotal++;
                Duration length = settings.ejection(ejectionsInARow);
                ejectedUntil = now.plus(length);
                calmSince = null;
                LOG.info(
                        "provider '{}' ejected for {} after {} failures in a row (ejection {} in a row): {}",
                        name,
                        Durations.compact(length),
                        consecutive,
                        ejectionsInARow,
                        why);
            }
        }

        synchronized void reset() {
            consecutive = 0;
            ejectionsInARow = 0;
            ejectedUntil = null;
            calmSince = null;
            reason = null;
        }

        synchronized void succeeded(Instant now) {
            consecutive = 0;
            if (ejectedUntil != null) {
                LOG.info(
                        "provider '{}' returns: it served a request{}",
                        name,
                        ejectedUntil.isAfter(now)
                                ? " before its ejection ended (tried as a last resort)"
                                : " after its ejection");
                ejectedUntil = null;
                calmSince = now;
            } else if (ejectionsInARow > 0
                    && calmSince != null
                    && !now.isBefore(calmSince.plus(settings.baseEjection()))) {
                ejectionsInARow--;
                calmSince = ejectionsInARow > 0 ? now : null;
            }
        }
    }
}
