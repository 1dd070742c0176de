package org.anthropicproxy.provider;

import java.util.IdentityHashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.anthropicproxy.config.ServerSettings;

/**
 * One {@link UpstreamHttp} per TLS trust in use: providers that trust the same certificates share a client (and its
 * connection pool and I/O thread); a provider with its own CA bundle or with checking off gets its own, so pooled
 * connections are never shared across trust settings.
 */
public final class UpstreamClients implements AutoCloseable {

    private final ServerSettings settings;
    private final Map<SSLContext, UpstreamHttp> clients = new IdentityHashMap<>();

    public UpstreamClients(ServerSettings settings) {
        this.settings = settings;
    }

    public synchronized UpstreamHttp forTrust(SSLContext tls) {
        return clients.computeIfAbsent(tls, t -> new UpstreamHttp(settings, t));
    }

    @Override
    public synchronized void close() {
        clients.values().forEach(UpstreamHttp::close);
        clients.clear();
    }
}
