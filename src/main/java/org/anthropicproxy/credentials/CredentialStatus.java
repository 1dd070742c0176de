package org.anthropicproxy.credentials;

import java.time.Instant;

/**
 * What {@code /health} shows about a credential source. Never contains a secret.
 *
 * @param source             where the credential comes from, e.g. {@code "file ~/.claude-internal/config.json"}
 * @param expiresAt          expiry of the credential in memory, {@code null} when none or it never expires
 * @param lastRefreshAt      when a refresh was last attempted, {@code null} when never
 * @param lastRefreshOutcome {@code "ok"}, {@code "failed: <reason>"}, or {@code null} when never attempted
 * @param available          whether {@link CredentialSource#current()} would return a credential without refreshing
 */
public record CredentialStatus(
        String source, Instant expiresAt, Instant lastRefreshAt, String lastRefreshOutcome, boolean available) {}
