package org.anthropicproxy.credentials;

public final class CredentialUnavailableException extends Exception {
    public CredentialUnavailableException(String message) {
        super(message);
    }
}
