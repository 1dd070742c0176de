package org.anthropicproxy.config;

import java.net.URI;
import java.util.Map;

/**
 * One upstream as configured: a preset's values with the file's on top. The {@code auth}, {@code dialect},
 * {@code quota}, {@code health}, {@code tls} and {@code proxy} subtrees stay raw here; their owners
 * ({@code credentials}, {@code provider.openai}, {@code quota}, {@code provider.HealthSettings}, {@code tls},
 * {@code net}) parse and validate them when the provider is built, naming the key on error.
 */
public record ProviderSettings(
        String name,
        String kind,
        URI baseUrl,
        String apiKey,
        Map<String, String> headers,
        Map<String, String> models,
        Map<String, Object> auth,
        Map<String, Object> dialect,
        Map<String, Object> quota,
        Map<String, Object> health,
        String messagesPath,
        String countTokensPath,
        String chatPath,
        boolean stripBillingHeader,
        boolean unwrapEnvelope,
        Map<String, Object> tls,
        Object proxy) {

    public static final String ANTHROPIC = "anthropic";
    public static final String OPENAI = "openai";

    public URI resolve(String path) {
        String base = baseUrl.toString();
        if (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return URI.create(base + path);
    }
}
