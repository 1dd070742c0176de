package org.anthropicproxy.credentials;

/**
 * A refresh attempt failed. The message is safe to log and show (no token, no response body).
 * {@code rejected} means the endpoint refused the refresh token itself, so only a new login helps.
 */
final class RefreshException extends Exception {
    private final boolean rejected;

    RefreshException(String message, boolean rejected) {
        super(message, null, false, false);
        this.rejected = rejected;
    }

    boolean rejected() {
        return rejected;
    }
}
