package org.anthropicproxy.credentials;

/**
 * No usable credential. The message names the files looked at and the command that logs in; it never contains a
 * secret.
 */
public final class CredentialUnavailableException extends Exception {
    public CredentialUnavailableException(String message) {
        super(message);
    }
}
