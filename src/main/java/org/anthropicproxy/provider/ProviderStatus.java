package org.anthropicproxy.provider;

import java.time.Instant;
import java.util.Locale;

/**
 * Whether a provider takes requests now, and why not.
 *
 * @param state               see {@link State}
 * @param until               when an ejection, cooldown or exhaustion ends; null when available
 * @param reason              the last failure (redacted), or null
 * @param consecutiveFailures failures in a row seen by this instance since the last success
 * @param ejections           how many times this instance has ejected the provider since it started
 */
public record ProviderStatus(State state, Instant until, String reason, int consecutiveFailures, long ejections) {

    public static final ProviderStatus AVAILABLE = new ProviderStatus(State.AVAILABLE, null, null, 0, 0);

    /** The four states a chain sees; the shared quota store holds the last two, each instance the first two. */
    public enum State {
        /** Takes requests. */
        AVAILABLE,
        /** Failed too often in a row on this instance; skipped until {@code until} unless every provider is unhealthy. */
        EJECTED,
        /** Rate limited (a 429 with a near retry-after); skipped until {@code until} unless every provider is unhealthy. */
        COOLING_DOWN,
        /** Its quota is spent until {@code until}; never tried before then. */
        EXHAUSTED;

        /** As shown on {@code /v1/quota}, {@code /health} and in metrics. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public boolean available() {
        return state == State.AVAILABLE;
    }
}
