package org.anthropicproxy.provider;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import org.anthropicproxy.quota.Classification;
import org.anthropicproxy.quota.FailureClassifier;
import org.anthropicproxy.quota.ProviderState;
import org.anthropicproxy.quota.QuotaService;
import org.anthropicproxy.quota.UpstreamFailure;

/**
 * Failover driven by two kinds of unavailability kept apart: exhaustion and rate-limit cooldowns, which upstreams
 * announce and which live in the (possibly shared) quota store, and ejection, which this instance infers from
 * failures in a row ({@link HealthTracker}, in memory). Each provider's failures are classified by its own
 * classifier; every failure but the client's own moves the request on.
 */
public final class QuotaFailoverPolicy implements FailoverPolicy {

    private final QuotaService quota;
    private final Map<String, FailureClassifier> classifiers;
    private final HealthTracker health;
    private final Clock clock;

    public QuotaFailoverPolicy(
            QuotaService quota, Map<String, FailureClassifier> classifiers, HealthTracker health, Clock clock) {
        this.quota = quota;
        this.classifiers = Map.copyOf(classifiers);
        this.health = health;
        this.clock = clock;
    }

    /** Exhausted before cooling down before ejected: the longest-lasting, upstream-announced state wins. */
    @Override
    public ProviderStatus status(String provider) {
        ProviderStatus h = health.status(provider);
        ProviderState q = quota.state(provider);
        Instant now = clock.instant();
        if (q.quotaExhausted() && q.resetAt() != null && q.resetAt().isAfter(now)) {
            return new ProviderStatus(
                    ProviderStatus.State.EXHAUSTED, q.resetAt(), q.lastError(), h.consecutiveFailures(), h.ejections());
        }
        if (q.cooldownUntil() != null && q.cooldownUntil().isAfter(now)) {
            return new ProviderStatus(
                    ProviderStatus.State.COOLING_DOWN,
                    q.cooldownUntil(),
                    q.cooldownReason(),
                    h.consecutiveFailures(),
                    h.ejections());
        }
        return h;
    }

    @Override
    public Verdict failOver(String provider, UpstreamError error) {
        FailureClassifier classifier = classifiers.get(provider);
        Classification c = error.connectFailure()
                ? classifier.connectFailure(error.body())
                : classifier.classify(new UpstreamFailure(error.status(), error.headers(), error.body()));
        // no answer: the transport's own account ("upstream HOST unreachable: …", "… sent no response headers within
        // …")
        String reason = SecretRedactor.redact(
                error.connectFailure() && error.body() != null && !error.body().isBlank()
                        ? error.body().replaceAll("\\s+", " ").strip()
                        : c.reason());
        if (c instanceof Classification.Unavailable) {
            health.failed(provider, reason);
        }
        quota.onFailure(provider, c);
        return new Verdict(!(c instanceof Classification.ClientError), reason);
    }

    @Override
    public void onSuccess(String provider) {
        health.succeeded(provider);
    }

    @Override
    public void onRequest(String provider) {
        quota.onRequest(provider);
    }

    @Override
    public boolean onRequestWithoutBlocking() {
        return quota.recordsWithoutBlocking();
    }
}
