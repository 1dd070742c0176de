package org.anthropicproxy.quota;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** The meaning of an upstream failure for the failover chain. */
public sealed interface Classification {

    /** A short human-readable account of the failure, kept as the provider's {@code last_error}. */
    String reason();

    /** Hard quota gone (weekly / credits / billing): the provider is skipped until {@code resetAt} or the schedule's next reset. */
    record QuotaExhausted(Optional<Instant> resetAt, String reason) implements Classification {
        public QuotaExhausted {
            resetAt = resetAt == null ? Optional.empty() : resetAt;
        }
    }

    /** Temporary rate limit: the provider cools down for {@code retryAfter}. */
    record RateLimited(Duration retryAfter, String reason) implements Classification {}

    /**
     * 5xx, 529 overloaded, timeouts, connect failures: counts toward the provider's ejection on this instance
     * ({@code provider.HealthTracker}); {@code cooldown} is the wait the upstream named, else the default.
     */
    record Unavailable(Duration cooldown, String reason) implements Classification {}

    /** 401/403 (after the credential layer had its retry). */
    record AuthFailed(String reason) implements Classification {}

    /** 400/404/413/422 and other 4xx: the request itself is wrong; never failed over, returned as is. */
    record ClientError(String reason) implements Classification {}
}
