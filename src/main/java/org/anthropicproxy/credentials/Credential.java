package org.anthropicproxy.credentials;

import java.time.Instant;
import java.util.Map;

/**
 * A secret to send upstream, with what is known about the account it belongs to.
 *
 * @param secret    the bearer token / API key; never log it
 * @param account   account facts used for upstream headers: {@code uid}, {@code enterpriseId}, {@code domain},
 *                  {@code tenantId}; keys are absent when unknown
 * @param expiresAt when the secret stops working, {@code null} when it never expires
 */
public record Credential(String secret, Map<String, String> account, Instant expiresAt) {
    public Credential {
        account = account == null ? Map.of() : Map.copyOf(account);
    }

    /** Keeps the secret out of logs and exception messages that format this record by accident. */
    @Override
    public String toString() {
        return "Credential[secret=***, account=" + account + ", expiresAt=" + expiresAt + "]";
    }
}
