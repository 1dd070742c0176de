package org.anthropicproxy.credentials;

/** A secret given in config or the environment: never expires, cannot be refreshed. */
public final class FixedCredentialSource implements CredentialSource {

    private final Credential credential;
    private final String source;

    public FixedCredentialSource(String secret, String source) {
        this.credential = secret == null ? null : new Credential(secret, java.util.Map.of(), null);
        this.source = source;
    }

    @Override
    public Credential current() throws CredentialUnavailableException {
        if (credential == null) {
            throw new CredentialUnavailableException("no credential configured (" + source + ")");
        }
        return credential;
    }

    @Override
    public Credential refreshAfterRejection(Credential rejected) throws CredentialUnavailableException {
        throw new CredentialUnavailableException("the upstream rejected the key from " + source + "; it cannot be refreshed");
    }

    @Override
    public CredentialStatus status() {
        return new CredentialStatus(source, null, null, null, credential != null);
    }

    @Override
    public void close() {
    }
}
