package org.anthropicproxy.config;

import java.util.List;
import java.util.Map;

/** Everything the proxy runs with, after presets, the config file and the command line were merged. */
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
        UsageSettings usage) {

    public ProviderSettings provider(String name) {
        ProviderSettings p = providers.get(name);
        if (p == null) {
            throw new ConfigException("unknown provider '" + name + "' (known: " + String.join(", ", providers.keySet()) + ")");
        }
        return p;
    }
}
