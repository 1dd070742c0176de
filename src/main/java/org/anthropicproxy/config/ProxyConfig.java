package org.anthropicproxy.config;

import java.util.List;
import java.util.Map;

/**
 * Everything the proxy runs with, after presets, the config file and the command line were merged. {@code health}
 * is the raw top-level block of defaults for every provider's {@code health} ({@code provider.HealthSettings});
 * {@code tls} and {@code proxy} stay raw (parsed by {@code tls.UpstreamTrust} and {@code net.ProxyRules} when the
 * proxy starts).
 */
public record ProxyConfig(
        String source,
        ServerSettings server,
        Map<String, ProviderSettings> providers,
        List<String> route,
        List<ModelRoute> modelRoutes,
        String quotaStore,
        String resetSchedule,
        String logFile,
        String logLevel,
        List<String> clientKeys,
        List<String> adminKeys,
        boolean allowUnauthenticated,
        Map<String, Object> health,
        Map<String, Object> tls,
        Object proxy,
        UsageSettings usage) {

    public ProviderSettings provider(String name) {
        ProviderSettings p = providers.get(name);
        if (p == null) {
            throw new ConfigException(
                    "unknown provider '" + name + "' (known: " + String.join(", ", providers.keySet()) + ")");
        }
        return p;
    }
}
