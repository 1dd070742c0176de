package org.anthropicproxy.credentials;

import java.time.Instant;
import java.util.Map;

public record Credential(String secret, Map<String, String> account, Instant expiresAt) {
}
