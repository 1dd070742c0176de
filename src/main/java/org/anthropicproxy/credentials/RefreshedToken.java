package org.anthropicproxy.credentials;

import java.time.Instant;

/** What a refresh endpoint returned; {@code refreshToken} is null when the old one stays valid. */
record RefreshedToken(String accessToken, String refreshToken, Instant expiresAt, Instant refreshExpiresAt) {
    @Override
    public String toString() {
        return "RefreshedToken[accessToken=***, expiresAt=" + expiresAt + "]";
    }
}
