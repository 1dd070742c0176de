package org.anthropicproxy.quota;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.anthropicproxy.config.Durations;
import org.anthropicproxy.quota.Classification.AuthFailed;
import org.anthropicproxy.quota.Classification.ClientError;
import org.anthropicproxy.quota.Classification.QuotaExhausted;
import org.anthropicproxy.quota.Classification.RateLimited;
import org.anthropicproxy.quota.Classification.Unavailable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provider availability for the failover chain: turns classified failures into exhaustion or cooldown, and brings
 * providers back when their time comes, both lazily on every check and through a scheduler that runs without traffic.
 * Time comes only from the injected clock. The service owns the store: {@link #close()} closes it.
 */
public final class QuotaService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QuotaService.class);
    static final Duration DEFAULT_TICK = Duration.ofSeconds(1);

    private final QuotaStore store;
    private final Clock clock;
    private final Map<String, ResetSchedule> schedules;
    private final ResetSchedule defaultSchedule;
    private final Object schedulerLock = new Object();
    private Thread scheduler;
    private volatile boolean closed;
    private volatile String lastSchedulerProblem;

    /**
     * @param schedulePerProvider reset schedules by provider name (may be empty)
     * @param defaultSchedule     for providers without one; null means weekly, Monday 00:00 in the clock's zone
     */
    public QuotaService(
            QuotaStore store,
            Clock clock,
            Map<String, ResetSchedule> schedulePerProvider,
            ResetSchedule defaultSchedule) {
        this.store = store;
        this.clock = clock;
        this.schedules = schedulePerProvider == null ? Map.of() : Map.copyOf(schedulePerProvider);
        this.defaultSchedule =
                defaultSchedule != null ? defaultSchedule : ResetSchedule.parse("weekly", clock.getZone());
    }

    /** Not exhausted and not cooling down; clears (and persists the clearing of) whatever ran out. */
    public boolean isAvailable(String provider) {
        return current(provider).availableAt(clock.instant());
    }

    /** Marked out of quota and its reset time not reached yet (cooldowns do not count). */
    public boolean isExhausted(String provider) {
        return current(provider).quotaExhausted();
    }

    /** The provider's state now, after clearing (and persisting the clearing of) whatever ran out. */
    public ProviderState state(String provider) {
        return current(provider);
    }

    /** When the provider comes back, or empty when it is available now. */
    public Optional<Instant> unavailableUntil(String provider) {
        ProviderState s = current(provider);
        Instant now = clock.instant();
        Instant until = null;
        if (s.quotaExhausted() && s.resetAt() != null && s.resetAt().isAfter(now)) until = s.resetAt();
        if (s.cooldownUntil() != null
                && s.cooldownUntil().isAfter(now)
                && (until == null || s.cooldownUntil().isAfter(until))) {
            until = s.cooldownUntil();
        }
        return Optional.ofNullable(until);
    }

    /**
     * Records a failure: {@code QuotaExhausted} marks exhaustion until the upstream's reset time (if still ahead) or
     * the provider's schedule; {@code RateLimited} cools it down; outages ({@code Unavailable}), auth and client errors
     * only become the last error: outages are judged by each instance from its own traffic, not shared.
     */
    public void onFailure(String provider, Classification c) {
        Instant now = clock.instant();
        switch (c) {
            case QuotaExhausted q -> {
                Instant reset = q.resetAt()
                        .filter(r -> r.isAfter(now))
                        .orElseGet(() -> schedule(provider).next(now));
                store.markExhausted(provider, now, reset, q.reason());
                log.warn(
                        "provider '{}' quota exhausted until {} ({}): {}",
                        provider,
                        reset,
                        q.resetAt().isPresent()
                                ? "named by upstream"
                                : schedule(provider).describe(),
                        q.reason());
            }
            case RateLimited r -> {
                store.markCooldown(provider, now.plus(r.retryAfter()), r.reason());
                log.info("provider '{}' rate limited for {}: {}", provider, r.retryAfter(), r.reason());
            }
            case Unavailable u -> store.recordError(provider, u.reason());
            case AuthFailed a -> store.recordError(provider, a.reason());
            case ClientError e -> store.recordError(provider, e.reason());
        }
    }

    public void onRequest(String provider) {
        store.recordRequest(provider, clock.instant());
    }

    public boolean recordsWithoutBlocking() {
        return store.recordsWithoutBlocking();
    }

    public void reset(String provider) {
        store.reset(provider);
        log.info("provider '{}' quota state reset by request", provider);
    }

    public void resetAll() {
        store.resetAll();
        log.info("all providers' quota state reset by request");
    }

    /** The body of {@code GET /v1/quota}: the chain in order, then every other provider the store knows. */
    public ObjectNode view(List<String> chain) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        ArrayNode chainNode = root.putArray("chain");
        Set<String> names = new LinkedHashSet<>();
        if (chain != null) {
            for (String p : chain) {
                chainNode.add(p);
                names.add(p);
            }
        }
        names.addAll(new TreeSet<>(store.all().keySet()));
        ObjectNode providers = root.putObject("providers");
        for (String name : names) {
            ProviderState s = current(name);
            Instant now = clock.instant();
            ObjectNode n = providers.putObject(name);
            n.put("exhausted", s.quotaExhausted());
            n.put("exhausted_at", Timestamps.format(s.exhaustedAt()));
            n.put("reset_at", Timestamps.format(s.resetAt()));
            n.put(
                    "time_until_reset",
                    s.quotaExhausted() && s.resetAt() != null && s.resetAt().isAfter(now)
                            ? Durations.dayHourMinute(Duration.between(now, s.resetAt()))
                            : null);
            n.put("cooldown_until", Timestamps.format(s.cooldownUntil()));
            n.put("cooldown_reason", s.cooldownReason());
            n.put("last_error", s.lastError());
            n.put("request_count", s.requestCount());
            n.put("last_request_at", Timestamps.format(s.lastRequestAt()));
            n.put("reset_policy", schedule(name).describe());
            n.put("available", s.availableAt(now));
        }
        return root;
    }

    /** Starts a virtual thread that clears expired states about once a second, so resets happen without traffic. */
    public void startScheduler() {
        startScheduler(DEFAULT_TICK);
    }

    void startScheduler(Duration tick) {
        synchronized (schedulerLock) {
            if (scheduler != null || closed) return;
            scheduler = Thread.ofVirtual().name("quota-reset-scheduler").start(() -> runScheduler(tick));
        }
    }

    /** One pass of the scheduler: clears every state whose time has come. */
    void clearExpiredNow() {
        Instant now = clock.instant();
        for (Map.Entry<String, ProviderState> e : store.all().entrySet()) {
            ProviderState s = e.getValue();
            if (s.hasExpiredAt(now) || s.quotaExhausted() && s.resetAt() == null) current(e.getKey());
        }
    }

    @Override
    public void close() {
        Thread t;
        synchronized (schedulerLock) {
            closed = true;
            t = scheduler;
            scheduler = null;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        store.close();
    }

    private void runScheduler(Duration tick) {
        while (!closed) {
            try {
                clearExpiredNow();
                if (lastSchedulerProblem != null) {
                    log.info("quota scheduler works again");
                    lastSchedulerProblem = null;
                }
            } catch (RuntimeException e) {
                String problem = e.getMessage();
                if (problem == null || !problem.equals(lastSchedulerProblem)) {
                    log.warn("quota scheduler could not check reset times: {}", e.toString());
                }
                lastSchedulerProblem = problem == null ? e.getClass().getName() : problem;
            }
            try {
                Thread.sleep(tick);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private ResetSchedule schedule(String provider) {
        return schedules.getOrDefault(provider, defaultSchedule);
    }

    /** The provider's state after the lazy clean-up of anything that ran out. */
    private ProviderState current(String provider) {
        Instant now = clock.instant();
        ProviderState s = store.get(provider);
        if (s.quotaExhausted() && s.resetAt() == null) {
            // e.g. a file written by the Python anthropic_server.py marked exhausted without reset_at: derive it from
            // the schedule once
            Instant base = s.exhaustedAt() != null ? s.exhaustedAt() : now;
            store.markExhausted(provider, base, schedule(provider).next(base), s.lastError());
            s = store.get(provider);
        }
        if (s.hasExpiredAt(now)) {
            boolean exhaustionOver = s.quotaExhausted();
            if (store.clearExpired(provider, now)) {
                if (exhaustionOver && s.resetAt() != null && !s.resetAt().isAfter(now)) {
                    log.info("provider '{}' quota reset reached ({}), available again", provider, s.resetAt());
                } else {
                    log.debug("provider '{}' cooldown over", provider);
                }
            }
            s = store.get(provider);
        }
        return s;
    }
}
