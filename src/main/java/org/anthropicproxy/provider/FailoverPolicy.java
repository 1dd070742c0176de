package org.anthropicproxy.provider;

import java.time.Instant;
import java.util.Optional;

/** Decides which providers of a chain may be tried and whether a failure moves on to the next one. */
public interface FailoverPolicy {

    /** When the provider is marked unavailable (quota exhausted, cooling down): until when; empty = usable now. */
    Optional<Instant> unavailableUntil(String provider);

    /** Records the failure; true when the next provider should take the request instead of returning it. */
    boolean failOver(String provider, UpstreamError error);

    void onRequest(String provider);

    /** Whether {@link #onRequest} returns without waiting on I/O (a shared store over the network does not). */
    default boolean onRequestWithoutBlocking() {
        return false;
    }

    /** A policy that never marks anything: every failure goes back to the client. */
    FailoverPolicy NONE = new FailoverPolicy() {
        @Override
        public Optional<Instant> unavailableUntil(String provider) {
            return Optional.empty();
        }

        @Override
        public boolean failOver(String provider, UpstreamError error) {
            return error.connectFailure() || error.status() >= 500 || error.status() == 429;
        }

        @Override
        public void onRequest(String provider) {
        }

        @Override
        public boolean onRequestWithoutBlocking() {
            return true;
        }
    };
}
