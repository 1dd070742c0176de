package org.anthropicproxy.quota;

import java.time.Instant;

/**
 * One provider's persisted quota state: the Python anthropic_server.py's v2 fields plus our cooldown.
 *
 * @param quotaExhausted  hard quota gone until {@code resetAt}
 * @param exhaustedAt     when it was marked exhausted
 * @param resetAt         when the exhaustion ends (upstream-named or from the reset schedule)
 * @param lastError       the reason of the last failure (kept across resets)
 * @param requestCount    requests sent to this provider (never reset by a quota reset)
 * @param lastRequestAt   time of the last request
 * @param cooldownUntil   temporary unavailability (rate limit, outage) ends at this time
 * @param cooldownReason  why it cools down
 */
public record ProviderState(
        boolean quotaExhausted,
        Instant exhaustedAt,
        Instant resetAt,
        String lastError,
        long requestCount,
        Instant lastRequestAt,
        Instant cooldownUntil,
        String cooldownReason) {

    /** A provider never seen: available, no history. */
    public static final ProviderState EMPTY = new ProviderState(false, null, null, null, 0, null, null, null);

    /** Usable at {@code now}: not exhausted and not cooling down. Expiry is judged by the caller's clock only. */
    public boolean availableAt(Instant now) {
        boolean exhausted = quotaExhausted && (resetAt == null || resetAt.isAfter(now));
        boolean coolingDown = cooldownUntil != null && cooldownUntil.isAfter(now);
        return !exhausted && !coolingDown;
    }

    /** Has a time-bound part that has run out by {@code now} and should be cleared. */
    public boolean hasExpiredAt(Instant now) {
        boolean exhaustionOver = quotaExhausted && resetAt != null && !resetAt.isAfter(now);
        boolean cooldownOver = cooldownUntil != null && !cooldownUntil.isAfter(now);
        return exhaustionOver || cooldownOver;
    }

    ProviderState exhausted(Instant at, Instant reset, String error) {
        return new ProviderState(true, at, reset, error, requestCount, lastRequestAt, cooldownUntil, cooldownReason);
    }

    /** Extends, never shortens, an existing cooldown; the reason always becomes the last error. */
    ProviderState coolingDownUntil(Instant until, String reason) {
        boolean later = cooldownUntil == null || until.isAfter(cooldownUntil);
        return new ProviderState(
                quotaExhausted,
                exhaustedAt,
                resetAt,
                reason,
                requestCount,
                lastRequestAt,
                later ? until : cooldownUntil,
                later ? reason : cooldownReason);
    }

    ProviderState requested(Instant at) {
        return new ProviderState(
                quotaExhausted, exhaustedAt, resetAt, lastError, requestCount + 1, at, cooldownUntil, cooldownReason);
    }

    ProviderState withLastError(String error) {
        return new ProviderState(
                quotaExhausted,
                exhaustedAt,
                resetAt,
                error,
                requestCount,
                lastRequestAt,
                cooldownUntil,
                cooldownReason);
    }

    ProviderState cleared() {
        return new ProviderState(false, null, null, lastError, requestCount, lastRequestAt, null, null);
    }

    ProviderState clearedExpired(Instant now) {
        boolean exhaustionOver = quotaExhausted && resetAt != null && !resetAt.isAfter(now);
        boolean cooldownOver = cooldownUntil != null && !cooldownUntil.isAfter(now);
        return new ProviderState(
                exhaustionOver ? false : quotaExhausted,
                exhaustionOver ? null : exhaustedAt,
                exhaustionOver ? null : resetAt,
                lastError,
                requestCount,
                lastRequestAt,
                cooldownOver ? null : cooldownUntil,
                cooldownOver ? null : cooldownReason);
    }
}
