package org.anthropicproxy.credentials;

public interface CredentialSource extends AutoCloseable {
    Credential current() throws CredentialUnavailableException;

    Credential refreshAfterRejection(Credential rejected) throws CredentialUnavailableException;

    CredentialStatus status();

    void close();
}
