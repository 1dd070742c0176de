package org.anthropicproxy.quota;

import java.time.Instant;
import java.util.Map;

/**
 * Where quota state lives. One implementation per backend; every operation is atomic per provider. Implementations
 * never read the time themselves: callers pass instants from their clock.
 */
public interface QuotaStore extends AutoCloseable {

    /** The provider's state; {@link ProviderState#EMPTY} for a provider never seen. */
    ProviderState get(String provider);

    /** Every provider the store knows, by name. */
    Map<String, ProviderState> all();

    /** Marks hard exhaustion until {@code resetAt}; {@code error} becomes the last error. Keeps counters and cooldown. */
    void markExhausted(String provider, Instant at, Instant resetAt, String error);

    /** Cools the provider down until {@code until}; extends but never shortens an active cooldown. {@code reason} also
     * becomes the last error. */
    void markCooldown(String provider, Instant until, String reason);

    /** {@code request_count + 1} and {@code last_request_at = at}. */
    void recordRequest(String provider, Instant at);

    /** Whether {@link #recordRequest} returns without waiting on I/O (a network round trip, a file write). */
    default boolean recordsWithoutBlocking() {
        return false;
    }

    /** Only records the last error (auth and client errors). */
    void recordError(String provider, String error);

    /**
     * Atomically clears whatever has run out by {@code now}: the exhaustion if {@code reset_at <= now}, the cooldown if
     * {@code cooldown_until <= now}. Conditional, so a fresh mark made meanwhile by another instance survives.
     *
     * @return whether anything was cleared
     */
    boolean clearExpired(String provider, Instant now);

    /** Clears exhaustion and cooldown; keeps counters and the last error. */
    void reset(String provider);

    void resetAll();

    @Override
    void close();
}
