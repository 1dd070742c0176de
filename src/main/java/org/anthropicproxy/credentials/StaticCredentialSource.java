package org.anthropicproxy.credentials;

import java.util.Map;

/**
 * A secret that never expires and cannot be refreshed: a configured API key, an env token, a git credential.
 * Built without a secret it is permanently unavailable with the given explanation.
 */
final class StaticCredentialSource implements CredentialSource {
    private final Credential credential;
    private final String source;
    private final String unavailableReason;

    private StaticCredentialSource(Credential credential, String source, String unavailableReason) {
        this.credential = credential;
        this.source = source;
        this.unavailableReason = unavailableReason;
    }

    static StaticCredentialSource of(String secret, String source) {
        return new StaticCredentialSource(new Credential(secret, Map.of(), null), source, null);
    }

    static StaticCredentialSource unavailable(String source, String reason) {
        return new StaticCredentialSource(null, source, reason);
    }

    @Override
    public boolean currentAtHand() {
        return true;
    }

    @Override
    public Credential current() throws CredentialUnavailableException {
        if (credential == null) {
            throw new CredentialUnavailableException(unavailableReason);
        }
        return credential;
    }

    @Override
    public Credential refreshAfterRejection(Credential rejected) throws CredentialUnavailableException {
        if (credential == null) {
            throw new CredentialUnavailableException(unavailableReason);
        }
        throw new CredentialUnavailableException(
                "the upstream rejected the static key from " + source + "; it cannot be refreshed, replace it");
    }

    @Override
    public CredentialStatus status() {
        return new CredentialStatus(source, null, null, null, credential != null);
    }

    @Override
    public void close() {}
}
