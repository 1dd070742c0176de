package org.anthropicproxy.credentials;

import java.time.Instant;
import java.util.Map;

/** The token fields read from a credential file. {@code refreshToken} may be null (cannot refresh). */
record StoredToken(String accessToken, String refreshToken, Instant expiresAt, Map<String, String> account) {
    StoredToken {
        account = account == null ? Map.of() : Map.copyOf(account);
    }

    Credential toCredential() {
        return new Credential(accessToken, account, expiresAt);
    }

    StoredToken refreshedWith(RefreshedToken r) {
        return new StoredToken(
                r.accessToken(), r.refreshToken() != null ? r.refreshToken() : refreshToken, r.expiresAt(), account);
    }

    @Override
    public String toString() {
        return "StoredToken[accessToken=***, refreshToken=" + (refreshToken == null ? "none" : "***") + ", expiresAt="
                + expiresAt + ", account=" + account + "]";
    }
}
