package org.anthropicproxy.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The providers and routes this project's predecessor shipped, so its commands keep working. Each preset is a raw
 * provider map; a config file entry of the same name is merged over it key by key.
 */
public final class Presets {

    public static final String NATIVE = "native";
    public static final String CODEBUDDY = "codebuddy";
    public static final String HYBRID = "hybrid";

    private Presets() {}

    public static Map<String, Map<String, Object>> providers() {
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        m.put(NATIVE, nativeProvider());
        m.put(CODEBUDDY, codebuddyProvider());
        return m;
    }

    /** Route presets: names usable with {@code --provider} that stand for a chain. */
    public static Map<String, List<String>> routes() {
        return Map.of(HYBRID, List.of(NATIVE, CODEBUDDY));
    }

    private static Map<String, Object> nativeProvider() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("kind", "anthropic");
        p.put("base_url", "https://copilot.code.woa.com/server/chat/codebuddy-gateway/codebuddy-code");
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("x-request-platform", "codebuddy-code");
        headers.put("x-app-name", "codebuddy-code");
        headers.put("x-scene-name", "common_chat");
        headers.put("x-request-platform-v2", "Claude-Code-Internal");
        headers.put("x-app-name-v2", "claude-code-internal");
        headers.put("x-claude-code-internal", "true");
        p.put("headers", headers);
        Map<String, Object> models = new LinkedHashMap<>();
        models.put("opus", "claude-4.5-opus");
        models.put("sonnet", "claude-4.5-sonnet");
        models.put("haiku", "claude-4.5-sonnet");
        p.put("models", models);
        p.put("auth", new LinkedHashMap<>(Map.of("type", "native")));
        p.put("strip_billing_header", true);
        p.put("unwrap_envelope", true);
        return p;
    }

    private static Map<String, Object> codebuddyProvider() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("kind", "openai");
        p.put("base_url", "https://copilot.tencent.com/v2");
        Map<String, Object> models = new LinkedHashMap<>();
        models.put("opus", "claude-opus-4.5");
        models.put("sonnet", "claude-4.5");
        models.put("haiku", "claude-haiku-4.5");
        p.put("models", models);
        p.put("auth", new LinkedHashMap<>(Map.of("type", "codebuddy")));
        p.put("dialect", new LinkedHashMap<>(Map.of("preset", "codebuddy")));
        p.put("strip_billing_header", true);
        return p;
    }
}
