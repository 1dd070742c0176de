package org.anthropicproxy.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which forward proxy, if any, one provider's outbound requests (upstream calls and token refreshes) go through.
 * From the environment as curl and Python {@code requests} read it ({@link #fromEnv}), or from the config
 * ({@link #fromConfig}), which wins: {@code proxy: {url, no_proxy}} at the top level or per provider, {@code none}
 * to go direct. {@code localhost} and loopback IP literals never go through an environment proxy (as in Go's
 * net/http). Guarded by {@code ProxyRulesTest} and {@code ForwardProxyIT}.
 */
public final class ProxyRules {

    /** Everything direct. */
    public static final ProxyRules DIRECT = new ProxyRules(null, null, NoProxy.NONE, false, List.of());

    private final OutboundProxy http;
    private final OutboundProxy https;
    private final NoProxy noProxy;
    private final boolean loopbackDirect;
    private final List<String> warnings;

    private ProxyRules(
            OutboundProxy http, OutboundProxy https, NoProxy noProxy, boolean loopbackDirect, List<String> warnings) {
        this.http = http;
        this.https = https;
        this.noProxy = noProxy;
        this.loopbackDirect = loopbackDirect;
        this.warnings = warnings;
    }

    /**
     * {@code https_proxy}/{@code HTTPS_PROXY} for https, {@code http_proxy}/{@code HTTP_PROXY} for http, each else
     * {@code all_proxy}/{@code ALL_PROXY}; {@code no_proxy}/{@code NO_PROXY}. The lower-case name wins, as in
     * curl and Python. A value this proxy cannot use (an https:// proxy) is skipped with a warning ({@link #warnings}).
     */
    public static ProxyRules fromEnv(Map<String, String> env) {
        List<String> warnings = new ArrayList<>();
        OutboundProxy all = env(env, "all_proxy", warnings);
        OutboundProxy http = env(env, "http_proxy", warnings);
        OutboundProxy https = env(env, "https_proxy", warnings);
        http = http != null ? http : all;
        https = https != null ? https : all;
        if (http == null && https == null) {
            return warnings.isEmpty() ? DIRECT : new ProxyRules(null, null, NoProxy.NONE, false, List.copyOf(warnings));
        }
        String no = first(env, "no_proxy");
        return new ProxyRules(http, https, NoProxy.parse(no), true, List.copyOf(warnings));
    }

    private static OutboundProxy env(Map<String, String> env, String lower, List<String> warnings) {
        String v = env.get(lower);
        String name = lower;
        if (v == null || v.isBlank()) {
            v = env.get(lower.toUpperCase(Locale.ROOT));
            name = lower.toUpperCase(Locale.ROOT);
        }
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return OutboundProxy.parse(v, "environment variable " + name);
        } catch (IllegalArgumentException e) {
            warnings.add(e.getMessage() + "; ignored, upstreams it would serve are dialled directly");
            return null;
        }
    }

    private static String first(Map<String, String> env, String lower) {
        String v = env.get(lower);
        return v != null && !v.isBlank() ? v : env.get(lower.toUpperCase(Locale.ROOT));
    }

    /**
     * A {@code proxy} config value: absent (null) keeps {@code inherited}; {@code none} (or {@code direct}) goes
     * direct; a URL string, or {@code {url: URL, no_proxy: [..] or "a,b"}}, is used for http and https upstreams.
     *
     * @throws IllegalArgumentException naming {@code key} and {@code where}
     */
    public static ProxyRules fromConfig(Object raw, String key, String where, ProxyRules inherited) {
        if (raw == null) {
            return inherited;
        }
        Object url = raw;
        Object no = null;
        if (raw instanceof Map<?, ?> m) {
            for (Object k : m.keySet()) {
                if (!"url".equals(k) && !"no_proxy".equals(k)) {
                    throw new IllegalArgumentException(
                            key + "." + k + ": unknown key (allowed: no_proxy, url) (in " + where + ")");
                }
            }
            url = m.get("url");
            no = m.get("no_proxy");
            if (url == null) {
                throw new IllegalArgumentException(key + ".url: missing (a proxy URL, or none) (in " + where + ")");
            }
        }
        if (url instanceof Map || url instanceof List) {
            throw new IllegalArgumentException(
                    key + ": must be a proxy URL, none, or {url, no_proxy} (in " + where + ")");
        }
        String s = String.valueOf(url).strip();
        if (s.equalsIgnoreCase("none") || s.equalsIgnoreCase("direct")) {
            return DIRECT;
        }
        OutboundProxy p = OutboundProxy.parse(s, key + (raw instanceof Map ? ".url" : "") + " (in " + where + ")");
        NoProxy np;
        if (no == null) {
            np = NoProxy.NONE;
        } else if (no instanceof List<?> l) {
            np = NoProxy.parse(l.stream().map(String::valueOf).toList());
        } else if (no instanceof Map) {
            throw new IllegalArgumentException(key + ".no_proxy: must be a list of hosts (in " + where + ")");
        } else {
            np = NoProxy.parse(String.valueOf(no));
        }
        return new ProxyRules(p, p, np, false, List.of());
    }

    /** The proxy for a request to {@code uri}, or null to go direct. */
    public OutboundProxy forUri(URI uri) {
        boolean secure = "https".equalsIgnoreCase(uri.getScheme());
        OutboundProxy p = secure ? https : http;
        if (p == null || uri.getHost() == null) {
            return null;
        }
        int port = uri.getPort() > 0 ? uri.getPort() : secure ? 443 : 80;
        String host = uri.getHost();
        if (loopbackDirect && isLoopback(host)) {
            return null;
        }
        return noProxy.matches(host, port) ? null : p;
    }

    /** {@code direct} or {@code http://host:port}: how requests to {@code uri} leave, for {@code /health}. */
    public String via(URI uri) {
        OutboundProxy p = forUri(uri);
        return p == null ? "direct" : p.toString();
    }

    /** Problems met reading the environment, for one WARN each at start. */
    public List<String> warnings() {
        return warnings;
    }

    /** The same rules for the JDK's HttpClient (token refreshes through an HTTP proxy); credentials go in a request header. */
    public ProxySelector selector() {
        return new ProxySelector() {
            @Override
            public List<Proxy> select(URI uri) {
                OutboundProxy p = forUri(uri);
                // a SOCKS proxy is never asked for here: the JDK client cannot use one (see RefreshHttp)
                return List.of(
                        p == null || p.kind().socks()
                                ? Proxy.NO_PROXY
                                : new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(p.host(), p.port())));
            }

            @Override
            public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
                // the failure reaches the caller; nothing to remember
            }
        };
    }

    private static boolean isLoopback(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost") || h.endsWith(".localhost") || h.equals("localhost.")) {
            return true;
        }
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        byte[] ip = NoProxy.literal(h);
        if (ip == null) {
            return false;
        }
        try {
            return InetAddress.getByAddress(ip).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
