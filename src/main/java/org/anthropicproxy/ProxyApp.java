package org.anthropicproxy;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.anthropicproxy.config.ConfigException;
import org.anthropicproxy.config.ProviderSettings;
import org.anthropicproxy.config.ProxyConfig;
import org.anthropicproxy.credentials.CredentialSource;
import java.nio.file.Path;
import org.anthropicproxy.credentials.CredentialSettings;
import org.anthropicproxy.credentials.CredentialSources;
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
                providers.computeIfAbsent(name, n -> build(config.provider(n), config.source(), env, http));
            }
            config.modelRoutes().forEach(r -> r.chain().forEach(n -> providers.computeIfAbsent(n, x -> build(config.provider(x), config.source(), env, http))));
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

    private static Provider build(ProviderSettings s, String where, Map<String, String> env, UpstreamHttp http) {
        CredentialSource credentials = credentials(s, where, env);
        return switch (s.kind()) {
            case ProviderSettings.ANTHROPIC -> new AnthropicProvider(s, credentials, http);
            default -> throw new ConfigException("providers." + s.name() + ".kind: " + s.kind() + " is not supported yet");
        };
    }

    private static CredentialSource credentials(ProviderSettings s, String where, Map<String, String> env) {
        CredentialSettings settings;
        try {
            if (s.apiKey() != null) {
                settings = CredentialSettings.ofStaticToken(s.apiKey());
            } else if (!s.auth().isEmpty()) {
                settings = CredentialSettings.fromMap(s.auth(), "providers." + s.name() + " (in " + where + ")");
            } else {
                settings = CredentialSettings.defaults(CredentialSettings.NONE);
            }
            return CredentialSources.create(settings, env, Path.of(System.getProperty("user.home")), Clock.systemUTC());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
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
