package org.anthropicproxy.provider;

import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.anthropicproxy.config.ServerSettings;
import org.anthropicproxy.net.ProxyRules;

/**
 * One {@link UpstreamHttp} per TLS trust and forward proxy rules in use: providers that share both share a client
 * (and its connection pool and I/O thread); a provider with its own CA bundle, checking off or its own proxy gets its
 * own, so pooled connections are never shared across those settings.
 */
public final class UpstreamClients implements AutoCloseable {

    private final ServerSettings settings;
    /** Identity of both: one client per trust and proxy rules object in use. */
    private record Key(SSLContext tls, ProxyRules proxies) {}

    private final Map<Key, UpstreamHttp> clients = new HashMap<>();

    public UpstreamClients(ServerSettings settings) {
        this.settings = settings;
    }

    public synchronized UpstreamHttp forRoute(SSLContext tls, ProxyRules proxies) {
        return clients.computeIfAbsent(new Key(tls, proxies), k -> new UpstreamHttp(settings, k.tls(), k.proxies()));
    }

    @Override
    public synchronized void close() {
        clients.values().forEach(UpstreamHttp::close);
        clients.clear();
    }
}
