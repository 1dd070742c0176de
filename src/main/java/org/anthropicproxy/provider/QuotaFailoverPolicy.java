package org.anthropicproxy.provider;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.anthropicproxy.quota.Classification;
import org.anthropicproxy.quota.FailureClassifier;
import org.anthropicproxy.quota.QuotaService;
import org.anthropicproxy.quota.UpstreamFailure;

/**
 * Failover driven by the quota state: each provider's failures are classified by its own classifier, recorded in
 * the (possibly shared) quota store, and move the request on unless they are the client's own fault.
 */
public final class QuotaFailoverPolicy implements FailoverPolicy {

    private final QuotaService quota;
    private final Map<String, FailureClassifier> classifiers;

    public QuotaFailoverPolicy(QuotaService quota, Map<String, FailureClassifier> classifiers) {
        this.quota = quota;
        this.classifiers = Map.copyOf(classifiers);
    }

    @Override
    public Optional<Instant> unavailableUntil(String provider) {
        return quota.unavailableUntil(provider);
    }

    @Override
    public boolean failOver(String provider, UpstreamError error) {
        FailureClassifier classifier = classifiers.get(provider);
        Classification c = error.connectFailure()
                ? classifier.connectFailure(error.body())
                : classifier.classify(new UpstreamFailure(error.status(), error.headers(), error.body()));
        quota.onFailure(provider, c);
        return !(c instanceof Classification.ClientError);
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
