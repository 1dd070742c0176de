package org.anthropicproxy;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.anthropicproxy.config.ConfigException;
import org.anthropicproxy.config.ProviderSettings;
import org.anthropicproxy.config.ProxyConfig;
import org.anthropicproxy.credentials.CredentialSource;
import org.anthropicproxy.credentials.FixedCredentialSource;
import org.anthropicproxy.provider.FailoverPolicy;
import org.anthropicproxy.provider.Provider;
import org.anthropicproxy.provider.Router;
import org.anthropicproxy.provider.UpstreamHttp;
import org.anthropicproxy.provider.anthropic.AnthropicProvider;
import org.anthropicproxy.server.AdminRoutes;
import org.anthropicproxy.server.ProxyServer;

/** The composition root: turns a {@link ProxyConfig} into a running server and owns everything it started. */
public final class ProxyApp implements AutoCloseable {

    private final ProxyConfig config;
    private final UpstreamHttp http;
    private final ProxyServer server;

    private ProxyApp(ProxyConfig config, UpstreamHttp http, ProxyServer server) {
        this.config = config;
        this.http = http;
        this.server = server;
    }

    /** Builds and starts; a {@link ConfigException} for anything the user must fix. */
    public static ProxyApp start(ProxyConfig config, Map<String, String> env) throws Exception {
        UpstreamHttp http = new UpstreamHttp(config.server());
        Map<String, Provider> providers = new LinkedHashMap<>();
        try {
            for (String name : config.route()) {
                providers.computeIfAbsent(name, n -> build(config.provider(n), env, http));
            }
            config.modelRoutes().forEach(r -> r.chain().forEach(n -> providers.computeIfAbsent(n, x -> build(config.provider(x), env, http))));
        } catch (RuntimeException e) {
            providers.values().forEach(Provider::close);
            http.close();
            throw e;
        }
        Router router = new Router(providers, config.route(), config.modelRoutes(),
                providers.size() > 1 ? FailoverPolicy.NONE : FailoverPolicy.NONE, Clock.systemUTC());
        ProxyServer server = new ProxyServer(config.server(), router, new AdminRoutes());
        try {
            server.start();
        } catch (Exception e) {
            server.close();
            http.close();
            throw e;
        }
        return new ProxyApp(config, http, server);
    }

    private static Provider build(ProviderSettings s, Map<String, String> env, UpstreamHttp http) {
        CredentialSource credentials = credentials(s, env);
        return switch (s.kind()) {
            case ProviderSettings.ANTHROPIC -> new AnthropicProvider(s, credentials, http);
            default -> throw new ConfigException("providers." + s.name() + ".kind: " + s.kind() + " is not supported yet");
        };
    }

    private static CredentialSource credentials(ProviderSettings s, Map<String, String> env) {
        if (s.apiKey() != null) {
            return new FixedCredentialSource(s.apiKey(), "providers." + s.name() + ".api_key");
        }
        String token = env.get("CODEBUDDY_OAUTH_TOKEN");
        return new FixedCredentialSource(token, "env CODEBUDDY_OAUTH_TOKEN");
    }

    public int port() {
        return server.port();
    }

    public ProxyConfig config() {
        return config;
    }

    @Override
    public void close() {
        server.close();
        http.close();
    }
}
