package org.anthropicproxy.provider;

/**
 * Decides which providers of a chain may be tried and whether a failure moves on to the next one. The mechanism
 * (trying providers in order, panic routing, the final answer) is {@link Router}'s.
 */
public interface FailoverPolicy {

    /** What the policy made of a failure. */
    record Verdict(boolean moveOn, String reason) {}

    /** Whether the provider takes requests now, and if not, why and until when. */
    ProviderStatus status(String provider);

    /** Records the failure; {@code moveOn} when the next provider should take the request instead of returning it. */
    Verdict failOver(String provider, UpstreamError error);

    /** The provider served the request. Called on I/O threads: never blocks. */
    void onSuccess(String provider);

    void onRequest(String provider);

    /** Whether {@link #onRequest} returns without waiting on I/O (a shared store over the network does not). */
    default boolean onRequestWithoutBlocking() {
        return false;
    }

    /** A policy that never marks anything: every failure but the client's own moves on. */
    FailoverPolicy NONE = new FailoverPolicy() {
        @Override
        public ProviderStatus status(String provider) {
            return ProviderStatus.AVAILABLE;
        }

        @Override
        public Verdict failOver(String provider, UpstreamError error) {
            boolean moveOn = error.connectFailure() || error.status() >= 500 || error.status() == 429;
            return new Verdict(moveOn, error.connectFailure() ? error.body() : "HTTP " + error.status());
        }

        @Override
        public void onSuccess(String provider) {}

        @Override
        public void onRequest(String provider) {}

        @Override
        public boolean onRequestWithoutBlocking() {
            return true;
        }
    };
}
