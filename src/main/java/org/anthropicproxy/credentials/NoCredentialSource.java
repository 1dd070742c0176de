package org.anthropicproxy.credentials;

import java.util.Map;

/** {@code auth.type: none}: the upstream needs no secret; the credential is empty. */
final class NoCredentialSource implements CredentialSource {
    private static final Credential EMPTY = new Credential("", Map.of(), null);

    @Override
    public boolean currentAtHand() {
        return true;
    }

    @Override
    public Credential current() {
        return EMPTY;
    }

    @Override
    public Credential refreshAfterRejection(Credential rejected) throws CredentialUnavailableException {
        throw new CredentialUnavailableException("the upstream asked for authentication but auth type is 'none'; "
                + "configure auth.type static, native or codebuddy");
    }

    @Override
    public CredentialStatus status() {
        return new CredentialStatus("none", null, null, null, true);
    }

    @Override
    public void close() {}
}
