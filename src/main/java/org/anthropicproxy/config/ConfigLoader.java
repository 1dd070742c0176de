package org.anthropicproxy.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.anthropicproxy.files.UserDirs;

/**
 * Builds a {@link ProxyConfig} from presets, an optional YAML file and the command line, in that order of precedence
 * (later wins). Every problem becomes a {@link ConfigException} naming the key and the file.
 */
public final class ConfigLoader {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static final Set<String> TOP_KEYS = Set.of(
            "server",
            "providers",
            "route",
            "routes",
            "quota_store",
            "reset_schedule",
            "log",
            "client_keys",
            "admin_keys",
            "health",
            "tls",
            "proxy",
            "usage",
            "pricing");
    private static final Set<String> SERVER_KEYS = Set.of(
            "host",
            "port",
            "max_body_bytes",
            "max_header_bytes",
            "max_concurrent_requests",
            "ping_interval",
            "connect_timeout",
            "headers_timeout",
            "idle_timeout",
            "request_timeout",
            "upstream_idle_connection",
            "shutdown_grace",
            "client_header_timeout",
            "keep_alive_timeout",
            "client_body_timeout",
            "max_connections");
    private static final Set<String> PROVIDER_KEYS = Set.of(
            "kind",
            "base_url",
            "api_key",
            "headers",
            "models",
            "auth",
            "dialect",
            "quota",
            "health",
            "messages_path",
            "count_tokens_path",
            "chat_path",
            "strip_billing_header",
            "unwrap_envelope",
            "tls",
            "proxy");
    private static final Set<String> LOG_KEYS = Set.of("file", "level");

    /** {@link ProxyConfig#source()} when no file was read. */
    public static final String DEFAULTS = "built-in defaults";

    private final Map<String, String> env;

    public ConfigLoader(Map<String, String> env) {
        this.env = env;
    }

    /** The file used when {@code --config} is not given: {@link UserDirs#defaultConfigFile()} if it exists. */
    public static Path defaultConfigFile(UserDirs dirs) {
        Path p = dirs.defaultConfigFile();
        return Files.isRegularFile(p) ? p : null;
    }

    public ProxyConfig load(Path file, CliOverrides cli) {
        String where = file == null ? DEFAULTS : file.toString();
        Map<String, Object> root = file == null ? Map.of() : read(file);
        ConfigReader r = new ConfigReader(where);
        r.onlyKeys(root, TOP_KEYS, "");

        ServerSettings server = serverWithOverrides(r.map(root, "server"), r, cli, where);
        Map<String, ProviderSettings> providers = providers(root, r);
        List<String> route = route(root, r, cli, providers, where);
        List<ModelRoute> modelRoutes = modelRoutes(root.get("routes"), r, providers, where);

        Map<String, Object> log = r.map(root, "log");
        r.onlyKeys(log, LOG_KEYS, "log.");
        String logFile = cli.logFile() != null ? cli.logFile() : r.string(log, "file", "anthropic_server.log");
        String logLevel = cli.logLevel() != null ? cli.logLevel() : r.string(log, "level", "INFO");
        String quota = cli.quotaFile() != null ? cli.quotaFile() : r.string(root, "quota_store", "quota_state.json");
        String reset = r.string(root, "reset_schedule", "weekly");
        List<String> clientKeys =
                root.containsKey("client_keys") ? r.stringList(root.get("client_keys"), "client_keys") : List.of();
        List<String> adminKeys =
                root.containsKey("admin_keys") ? r.stringList(root.get("admin_keys"), "admin_keys") : List.of();

        return new ProxyConfig(
                where,
                server,
                Map.copyOf(providers),
                List.copyOf(route),
                List.copyOf(modelRoutes),
                quota,
                reset,
                logFile,
                logLevel,
                clientKeys,
                adminKeys,
                cli.allowUnauthenticated(),
                r.map(root, "health"),
                r.map(root, "tls"),
                root.get("proxy"),
                usage(root, r, quota));
    }

    /** {@code usage: {store, retention}} and {@code pricing: {model: {input, output, cache_read, cache_write}}}. */
    private static UsageSettings usage(Map<String, Object> root, ConfigReader r, String quotaStore) {
        Map<String, Object> u = r.map(root, "usage");
        r.onlyKeys(u, Set.of("store", "retention"), "usage.");
        Map<String, UsageSettings.Price> pricing = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : r.map(root, "pricing").entrySet()) {
            String key = "pricing." + e.getKey();
            Map<String, Object> p = r.asMap(e.getValue(), key);
            r.onlyKeys(p, Set.of("input", "output", "cache_read", "cache_write"), key + ".");
            pricing.put(
                    e.getKey(),
                    new UsageSettings.Price(
                            r.price(p, "input", key),
                            r.price(p, "output", key),
                            r.price(p, "cache_read", key),
                            r.price(p, "cache_write", key)));
        }
        Duration retention = r.duration(u, "retention", UsageSettings.DEFAULT_RETENTION, "usage.");
        if (retention.compareTo(Duration.ofDays(1)) < 0) {
            throw r.error("usage.retention", "must be at least 1d");
        }
        return new UsageSettings(
                r.string(u, "store", UsageSettings.defaultStore(quotaStore)), retention, Map.copyOf(pricing));
    }

    /** {@code server:} with the command line's host and port on top. */
    private static ServerSettings serverWithOverrides(
            Map<String, Object> m, ConfigReader r, CliOverrides cli, String where) {
        ServerSettings server = server(m, r);
        if (cli.host() != null) {
            server = server.withHost(cli.host());
        }
        if (cli.port() != null) {
            server = server.withPort(cli.port());
        }
        if (server.port() < 0 || server.port() > 65535) {
            throw new ConfigException(
                    cli.port() != null
                            ? "--port: " + server.port() + " is not a port number (0-65535)"
                            : "server.port: " + server.port() + " is not a port number (in " + where + ")");
        }

        return server;
    }

    /** The presets' providers with the file's on top, each validated. */
    private static Map<String, ProviderSettings> providers(Map<String, Object> root, ConfigReader r) {
        Map<String, Map<String, Object>> raw = new LinkedHashMap<>(Presets.providers());
        Map<String, Object> fileProviders = r.map(root, "providers");
        for (Map.Entry<String, Object> e : fileProviders.entrySet()) {
            Map<String, Object> p = r.asMap(e.getValue(), "providers." + e.getKey());
            raw.merge(e.getKey(), p, ConfigLoader::deepMerge);
        }
        Map<String, ProviderSettings> providers = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, Object>> e : raw.entrySet()) {
            providers.put(e.getKey(), provider(e.getKey(), e.getValue(), r));
        }

        return providers;
    }

    /** The global chain: {@code --provider}, else {@code route}, else the hybrid preset's; presets expanded. */
    private static List<String> route(
            Map<String, Object> root,
            ConfigReader r,
            CliOverrides cli,
            Map<String, ProviderSettings> providers,
            String where) {
        List<String> route;
        if (cli.provider() != null) {
            route = routeFor(cli.provider(), providers, "--provider");
        } else if (root.containsKey("route")) {
            route = r.stringList(root.get("route"), "route");
            if (route.isEmpty()) {
                throw new ConfigException("route: must name at least one provider (in " + where + ")");
            }
            List<String> expanded = new ArrayList<>();
            for (String name : route) {
                expanded.addAll(routeFor(name, providers, "route (in " + where + ")"));
            }
            route = expanded;
        } else {
            route = Presets.routes().get(Presets.HYBRID);
        }

        return route;
    }

    /** {@code routes:}, the per-model chains. */
    private static List<ModelRoute> modelRoutes(
            Object routes, ConfigReader r, Map<String, ProviderSettings> providers, String where) {
        List<ModelRoute> modelRoutes = new ArrayList<>();
        if (routes != null) {
            List<?> list = routes instanceof List<?> l ? l : null;
            if (list == null) {
                throw new ConfigException("routes: must be a list of {match, chain} (in " + where + ")");
            }
            for (int i = 0; i < list.size(); i++) {
                String key = "routes[" + i + "]";
                Map<String, Object> m = r.asMap(list.get(i), key);
                r.onlyKeys(m, Set.of("match", "chain"), key + ".");
                String match = r.requiredString(m, "match", key);
                List<String> chain = new ArrayList<>();
                for (String name : r.stringList(m.get("chain"), key + ".chain")) {
                    chain.addAll(routeFor(name, providers, key + ".chain (in " + where + ")"));
                }
                if (chain.isEmpty()) {
                    throw new ConfigException(key + ".chain: must name at least one provider (in " + where + ")");
                }
                modelRoutes.add(new ModelRoute(match, chain));
            }
        }

        return modelRoutes;
    }

    private static List<String> routeFor(String name, Map<String, ProviderSettings> providers, String where) {
        if (providers.containsKey(name)) {
            return List.of(name);
        }
        List<String> preset = Presets.routes().get(name);
        if (preset != null) {
            return preset;
        }
        throw new ConfigException(
                where + ": unknown provider '" + name + "' (known: " + String.join(", ", providers.keySet()) + ", "
                        + String.join(", ", Presets.routes().keySet()) + ")");
    }

    private Map<String, Object> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("config file " + file + " does not exist or is not a file");
        }
        Object tree;
        try {
            tree = YAML.readValue(file.toFile(), Object.class);
        } catch (JacksonException e) {
            throw new ConfigException("config file " + file + " is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() : ""));
        } catch (IOException e) {
            throw new ConfigException("config file " + file + " cannot be read: " + e.getMessage());
        }
        if (tree == null) {
            return Map.of();
        }
        if (!(tree instanceof Map<?, ?>)) {
            throw new ConfigException("config file " + file + " must hold a mapping at the top level");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> expanded = (Map<String, Object>) new EnvInterpolator(env, file.toString()).expand(tree, "");
        return expanded;
    }

    private static ServerSettings server(Map<String, Object> m, ConfigReader r) {
        r.onlyKeys(m, SERVER_KEYS, "server.");
        ServerSettings d = ServerSettings.defaults();
        if (r.integer(m, "max_connections", d.maxConnections(), "server.max_connections") < 1) {
            throw r.error("server.max_connections", "must be at least 1");
        }
        return new ServerSettings(
                r.string(m, "host", d.host()),
                r.integer(m, "port", d.port(), "server.port"),
                r.integer(m, "max_body_bytes", d.maxBodyBytes(), "server.max_body_bytes"),
                (int) r.integer(m, "max_header_bytes", d.maxHeaderBytes(), "server.max_header_bytes"),
                (int) r.integer(
                        m, "max_concurrent_requests", d.maxConcurrentRequests(), "server.max_concurrent_requests"),
                r.duration(m, "ping_interval", d.pingInterval(), "server."),
                r.duration(m, "connect_timeout", d.connectTimeout(), "server."),
                r.duration(m, "headers_timeout", d.headersTimeout(), "server."),
                r.duration(m, "idle_timeout", d.idleTimeout(), "server."),
                r.duration(m, "request_timeout", d.requestTimeout(), "server."),
                r.duration(m, "upstream_idle_connection", d.upstreamIdleConnection(), "server."),
                r.duration(m, "shutdown_grace", d.shutdownGrace(), "server."),
                r.duration(m, "client_header_timeout", d.clientHeaderTimeout(), "server."),
                r.duration(m, "keep_alive_timeout", d.keepAliveTimeout(), "server."),
                r.duration(m, "client_body_timeout", d.clientBodyTimeout(), "server."),
                (int) r.integer(m, "max_connections", d.maxConnections(), "server.max_connections"));
    }

    private static ProviderSettings provider(String name, Map<String, Object> m, ConfigReader r) {
        String key = "providers." + name;
        r.onlyKeys(m, PROVIDER_KEYS, key + ".");
        String kind = r.string(m, "kind", null);
        if (kind == null) {
            throw new ConfigException(key + ".kind: missing (anthropic or openai) (in " + r.where() + ")");
        }
        if (!kind.equals(ProviderSettings.ANTHROPIC) && !kind.equals(ProviderSettings.OPENAI)) {
            throw new ConfigException(key + ".kind: '" + kind + "' is not anthropic or openai (in " + r.where() + ")");
        }
        String base = r.requiredString(m, "base_url", key);
        URI uri;
        try {
            uri = new URI(base);
        } catch (URISyntaxException e) {
            throw new ConfigException(key + ".base_url: '" + base + "' is not a URL (in " + r.where() + ")");
        }
        if (uri.getScheme() == null
                || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
            throw new ConfigException(key + ".base_url: '" + base + "' is not an http(s) URL (in " + r.where() + ")");
        }
        boolean anthropic = kind.equals(ProviderSettings.ANTHROPIC);
        return new ProviderSettings(
                name,
                kind,
                uri,
                r.string(m, "api_key", null),
                r.stringMap(m, "headers", key),
                r.stringMap(m, "models", key),
                r.map(m, "auth", key),
                r.map(m, "dialect", key),
                r.map(m, "quota", key),
                r.map(m, "health", key),
                r.string(m, "messages_path", "/v1/messages"),
                r.string(m, "count_tokens_path", "/v1/messages/count_tokens"),
                r.string(m, "chat_path", "/chat/completions"),
                r.bool(m, "strip_billing_header", false, key),
                r.bool(m, "unwrap_envelope", anthropic, key),
                r.map(m, "tls", key),
                m.get("proxy"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepMerge(Map<String, Object> base, Map<String, Object> over) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        for (Map.Entry<String, Object> e : over.entrySet()) {
            Object b = out.get(e.getKey());
            if (b instanceof Map<?, ?> bm
                    && e.getValue() instanceof Map<?, ?> om
                    && !e.getKey().equals("models")) {
                out.put(e.getKey(), deepMerge((Map<String, Object>) bm, (Map<String, Object>) om));
            } else {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }
}
