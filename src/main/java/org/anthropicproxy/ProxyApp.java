package org.anthropicproxy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.anthropicproxy.config.ConfigException;
import org.anthropicproxy.config.ConfigLoader;
import org.anthropicproxy.config.ModelRoute;
import org.anthropicproxy.config.ProviderSettings;
import org.anthropicproxy.config.ProxyConfig;
import org.anthropicproxy.credentials.CredentialSettings;
import org.anthropicproxy.credentials.CredentialSource;
import org.anthropicproxy.credentials.CredentialSources;
import org.anthropicproxy.files.UserDirs;
import org.anthropicproxy.json.ErrorBody;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.net.ProxyRules;
import org.anthropicproxy.provider.HealthSettings;
import org.anthropicproxy.provider.HealthTracker;
import org.anthropicproxy.provider.Provider;
import org.anthropicproxy.provider.QuotaFailoverPolicy;
import org.anthropicproxy.provider.Router;
import org.anthropicproxy.provider.StatusView;
import org.anthropicproxy.provider.UpstreamClients;
import org.anthropicproxy.provider.UpstreamHttp;
import org.anthropicproxy.provider.anthropic.AnthropicProvider;
import org.anthropicproxy.provider.openai.OpenAiDialect;
import org.anthropicproxy.provider.openai.OpenAiProvider;
import org.anthropicproxy.quota.ClassifierSettings;
import org.anthropicproxy.quota.FailureClassifier;
import org.anthropicproxy.quota.QuotaService;
import org.anthropicproxy.quota.QuotaStoreException;
import org.anthropicproxy.quota.QuotaStores;
import org.anthropicproxy.quota.ResetSchedule;
import org.anthropicproxy.server.AdminRoutes;
import org.anthropicproxy.server.ClientAuth;
import org.anthropicproxy.server.ProxyServer;
import org.anthropicproxy.tls.UpstreamTrust;
import org.anthropicproxy.usage.Pricing;
import org.anthropicproxy.usage.UsageApi;
import org.anthropicproxy.usage.UsageRecorder;
import org.anthropicproxy.usage.UsageStore;
import org.anthropicproxy.usage.UsageStores;
import org.eclipse.jetty.util.Fields;

/** The composition root: turns a {@link ProxyConfig} into a running server and owns everything it started. */
public final class ProxyApp implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ProxyApp.class);

    private final ProxyConfig config;
    private final UpstreamClients http;
    private final QuotaService quota;
    private final ProxyServer server;
    private final UsageRecorder usage;

    private ProxyApp(
            ProxyConfig config, UpstreamClients http, QuotaService quota, ProxyServer server, UsageRecorder usage) {
        this.config = config;
        this.http = http;
        this.quota = quota;
        this.server = server;
        this.usage = usage;
    }

    public static ProxyApp start(ProxyConfig config, Map<String, String> env) throws Exception {
        return start(config, env, Clock.system(ZoneId.systemDefault()));
    }

    /**
     * Builds and starts; a {@link ConfigException} for anything the user must fix. Long on purpose: the whole object
     * graph is wired here, in the order its parts depend on each other, and closed in reverse on a failed start.
     */
    public static ProxyApp start(ProxyConfig config, Map<String, String> env, Clock clock) throws Exception {
        UserDirs dirs = UserDirs.of(env);
        Set<String> names = new LinkedHashSet<>(config.route());
        config.modelRoutes().stream().map(ModelRoute::chain).forEach(names::addAll);

        ZoneId zone = clock.getZone();
        ResetSchedule defaultSchedule = schedule(config.resetSchedule(), "reset_schedule", config.source(), zone);
        Map<String, ResetSchedule> schedules = new LinkedHashMap<>();
        Map<String, FailureClassifier> classifiers = new LinkedHashMap<>();
        for (String name : names) {
            Map<String, Object> q = new LinkedHashMap<>(config.provider(name).quota());
            Object reset = q.remove("reset");
            if (reset != null) {
                schedules.put(
                        name,
                        schedule(String.valueOf(reset), "providers." + name + ".quota.reset", config.source(), zone));
            }
            try {
                ClassifierSettings cs = q.isEmpty()
                        ? ClassifierSettings.defaults()
                        : ClassifierSettings.fromMap(q, "providers." + name + ".quota (in " + config.source() + ")");
                classifiers.put(name, new FailureClassifier(cs, clock));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(e.getMessage());
            }
        }
        HealthSettings healthDefaults = healthDefaults(config);
        HealthTracker health = new HealthTracker(healthSettings(config, names, healthDefaults), healthDefaults, clock);
        Map<String, UpstreamTrust.Profile> trust = trust(config, names, env, dirs);
        Map<String, ProxyRules> proxies = proxies(config, names, env);
        QuotaService quota;
        try {
            quota = new QuotaService(
                    QuotaStores.open(config.quotaStore(), dirs.home()), clock, schedules, defaultSchedule);
        } catch (QuotaStoreException | IllegalArgumentException e) {
            throw new ConfigException("quota store " + config.quotaStore() + ": " + e.getMessage());
        }

        UpstreamClients http = new UpstreamClients(config.server());
        Map<String, Provider> providers = new LinkedHashMap<>();
        try {
            for (String name : names) {
                javax.net.ssl.SSLContext tls = trust.get(name).context();
                providers.put(
                        name,
                        build(
                                config.provider(name),
                                config.source(),
                                env,
                                dirs.home(),
                                http.forRoute(tls, proxies.get(name)),
                                tls,
                                proxies.get(name),
                                clock));
            }
        } catch (RuntimeException e) {
            providers.values().forEach(Provider::close);
            http.close();
            quota.close();
            throw e;
        }
        Router router = new Router(
                providers,
                config.route(),
                config.modelRoutes(),
                new QuotaFailoverPolicy(quota, classifiers, health, clock),
                clock);
        ClientAuth auth = new ClientAuth(config.clientKeys(), config.adminKeys());
        AdminRoutes admin = adminRoutes(quota, health, router);
        String configShown = config.source().equals(ConfigLoader.DEFAULTS)
                ? ConfigLoader.DEFAULTS + " (no " + dirs.defaultConfigFile() + ")"
                : config.source();
        admin.health(h -> h.put("config", configShown));
        admin.health(h -> h.withArray("providers")
                .forEach(p ->
                        outboundHealth((com.fasterxml.jackson.databind.node.ObjectNode) p, config, trust, proxies)));
        admin.health(h -> h.put("client_keys", auth.enabled())); // the status page asks for a key first
        UsageRecorder usage = usage(config, clock, dirs.home());
        UsageApi.install(
                admin,
                usage,
                new Pricing(config.usage().pricing()),
                config.usage().retention());
        if (!auth.enabled() && !isLoopback(config.server().host())) {
            if (!config.allowUnauthenticated()) {
                closeUsage(usage);
                quota.close();
                providers.values().forEach(Provider::close);
                http.close();
                throw new ConfigException(
                        "refusing to listen on " + config.server().host() + " without client keys: "
                                + "anyone who can reach it could spend your upstream quota. Set client_keys (and admin_keys) in "
                                + "the config, listen on 127.0.0.1, or pass --allow-unauthenticated");
            }
            LOG.warn(
                    "listening on {} WITHOUT client keys (--allow-unauthenticated): anyone who can reach it can use it",
                    config.server().host());
            admin.health(h -> h.put("warning", "unauthenticated on a non-loopback address"));
        }
        ProxyServer server = new ProxyServer(config.server(), router, admin, auth);
        try {
            server.start();
        } catch (Exception e) {
            server.close();
            http.close();
            quota.close();
            closeUsage(usage);
            throw e;
        }
        quota.startScheduler();
        if (usage != null) {
            usage.start();
        }
        return new ProxyApp(config, http, quota, server, usage);
    }

    /** The recorder of usage history, or null with {@code usage.store: none}. */
    private static UsageRecorder usage(ProxyConfig config, Clock clock, Path home) {
        UsageStore store;
        try {
            store = UsageStores.open(
                    config.usage().store(), clock.getZone(), config.usage().retention(), home);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("usage.store: " + e.getMessage() + " (in " + config.source() + ")");
        }
        return store == null
                ? null
                : new UsageRecorder(store, clock, config.usage().retention());
    }

    private static void closeUsage(UsageRecorder usage) {
        if (usage != null) {
            usage.close();
        }
    }

    /** Each provider's TLS trust; every CA bundle is read here, so a bad one stops the start naming it. */
    private static Map<String, UpstreamTrust.Profile> trust(
            ProxyConfig config, Set<String> names, Map<String, String> env, UserDirs dirs) {
        UpstreamTrust trust = UpstreamTrust.load(config.tls(), env, dirs, config.source());
        Map<String, UpstreamTrust.Profile> out = new LinkedHashMap<>();
        for (String name : names) {
            UpstreamTrust.Profile p =
                    trust.forProvider(name, config.provider(name).tls());
            if (p.insecureSkipVerify()) {
                LOG.warn(
                        "provider {}: tls.insecure_skip_verify is on: its upstream's and token endpoint's certificates and "
                                + "host names are NOT checked, so anyone on the network path can read and change that traffic",
                        name);
            }
            out.put(name, p);
        }
        return out;
    }

    /** Each provider's forward proxy: its own {@code proxy}, else the top-level one, else the environment's. */
    private static Map<String, ProxyRules> proxies(ProxyConfig config, Set<String> names, Map<String, String> env) {
        ProxyRules fromEnv = ProxyRules.fromEnv(env);
        fromEnv.warnings().forEach(w -> LOG.warn("{}", w));
        Map<String, ProxyRules> out = new LinkedHashMap<>();
        try {
            ProxyRules top = ProxyRules.fromConfig(config.proxy(), "proxy", config.source(), fromEnv);
            for (String name : names) {
                out.put(
                        name,
                        ProxyRules.fromConfig(
                                config.provider(name).proxy(), "providers." + name + ".proxy", config.source(), top));
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        return out;
    }

    /** A provider's {@code /health} block gets {@code via} (direct or the proxy) and {@code tls} when not the default. */
    private static void outboundHealth(
            com.fasterxml.jackson.databind.node.ObjectNode p,
            ProxyConfig config,
            Map<String, UpstreamTrust.Profile> trust,
            Map<String, ProxyRules> proxies) {
        String name = p.path("name").asText();
        ProxyRules via = proxies.get(name);
        if (via != null) {
            p.put("via", via.via(config.provider(name).baseUrl()));
        }
        UpstreamTrust.Profile t = trust.get(name);
        if (t != null && !t.isDefault()) {
            com.fasterxml.jackson.databind.node.ObjectNode n = p.putObject("tls");
            t.caFiles().forEach(n.putArray("extra_ca_files")::add);
            n.put("insecure_skip_verify", t.insecureSkipVerify());
        }
    }

    private static AdminRoutes adminRoutes(QuotaService quota, HealthTracker health, Router router) {
        AdminRoutes admin = new AdminRoutes();
        admin.add(
                "GET",
                "/v1/quota",
                request -> json(200, Json.bytes(StatusView.quota(quota.view(router.route()), router))));
        admin.add("POST", "/v1/quota/reset", request -> {
            Fields query = new Fields();
            String q = request.getHttpURI().getQuery();
            if (q != null) {
                try {
                    org.eclipse.jetty.util.UrlEncoded.decodeUtf8To(q, query);
                } catch (IllegalArgumentException e) {
                    return json(
                            400, ErrorBody.bytes("invalid_request_error", "query: not valid percent-encoded UTF-8"));
                }
            }
            String provider = query.getValue("provider");
            if (provider == null) {
                quota.resetAll();
                health.resetAll();
            } else if (router.provider(provider) == null) {
                return json(
                        404,
                        ErrorBody.bytes("not_found_error", "provider: no provider named '" + provider + "' in use"));
            } else {
                quota.reset(provider);
                health.reset(provider);
            }
            return json(200, Json.bytes(StatusView.quota(quota.view(router.route()), router)));
        });
        admin.health(h ->
                StatusView.health(h.set("quota", StatusView.quota(quota.view(router.route()), router)), router));
        org.anthropicproxy.observe.Metrics.install(admin, quota, router); // GET /metrics
        return admin;
    }

    static boolean isLoopback(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static AdminRoutes.Answer json(int status, byte[] body) {
        return new AdminRoutes.Answer(status, "application/json", body);
    }

    private static HealthSettings healthDefaults(ProxyConfig config) {
        try {
            return HealthSettings.fromMap(config.health(), HealthSettings.DEFAULTS, "health");
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage() + " (in " + config.source() + ")");
        }
    }

    /** Each provider's {@code health} block on top of the top-level one. */
    private static Map<String, HealthSettings> healthSettings(
            ProxyConfig config, Set<String> names, HealthSettings defaults) {
        Map<String, HealthSettings> out = new LinkedHashMap<>();
        for (String name : names) {
            try {
                out.put(
                        name,
                        HealthSettings.fromMap(
                                config.provider(name).health(), defaults, "providers." + name + ".health"));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(e.getMessage() + " (in " + config.source() + ")");
            }
        }
        return out;
    }

    private static ResetSchedule schedule(String spec, String key, String where, ZoneId zone) {
        try {
            return ResetSchedule.parse(spec, zone);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + ": " + e.getMessage() + " (in " + where + ")");
        }
    }

    private static Provider build(
            ProviderSettings s,
            String where,
            Map<String, String> env,
            Path home,
            UpstreamHttp http,
            javax.net.ssl.SSLContext tls,
            ProxyRules proxies,
            Clock clock) {
        CredentialSource credentials = credentials(s, where, env, home, tls, proxies, clock);
        return switch (s.kind()) {
            case ProviderSettings.OPENAI -> new OpenAiProvider(s, dialect(s, where), credentials, http);
            default -> new AnthropicProvider(s, credentials, http);
        };
    }

    private static OpenAiDialect dialect(ProviderSettings s, String where) {
        Map<String, Object> d = new LinkedHashMap<>(s.dialect());
        Object preset = d.remove("preset");
        OpenAiDialect base;
        if (preset == null || "default".equals(preset)) {
            base = OpenAiDialect.defaults();
        } else if ("codebuddy".equals(preset)) {
            base = OpenAiDialect.codebuddy();
        } else {
            throw new ConfigException("providers." + s.name() + ".dialect.preset: '" + preset
                    + "' is not default or codebuddy (in " + where + ")");
        }
        try {
            return OpenAiDialect.fromMap(d, base, "providers." + s.name() + ".dialect (in " + where + ")");
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    private static CredentialSource credentials(
            ProviderSettings s,
            String where,
            Map<String, String> env,
            Path home,
            javax.net.ssl.SSLContext tls,
            ProxyRules proxies,
            Clock clock) {
        CredentialSettings settings;
        try {
            if (s.apiKey() != null) {
                settings = CredentialSettings.ofStaticToken(s.apiKey());
            } else if (!s.auth().isEmpty()) {
                settings = CredentialSettings.fromMap(s.auth(), "providers." + s.name() + " (in " + where + ")");
            } else {
                settings = CredentialSettings.defaults(CredentialSettings.NONE);
            }
            return CredentialSources.create(settings, env, home, clock, tls, proxies);
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

    public QuotaService quota() {
        return quota;
    }

    /** The usage recorder, or null with {@code usage.store: none}. */
    public UsageRecorder usage() {
        return usage;
    }

    @Override
    public void close() {
        server.close();
        http.close();
        quota.close();
        closeUsage(usage);
    }
}
