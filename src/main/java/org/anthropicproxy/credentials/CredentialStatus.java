package org.anthropicproxy.credentials;

import java.time.Instant;

public record CredentialStatus(String source, Instant expiresAt, Instant lastRefreshAt, String lastRefreshOutcome, boolean available) {
}
