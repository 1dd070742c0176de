package org.anthropicproxy.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.server.Request;

/** Routes beyond the Messages API (quota, metrics) contributed by other packages at start-up. */
public final class AdminRoutes {

    public record Answer(int status, String contentType, byte[] body) {
    }

    @FunctionalInterface
    public interface Handler {
        Answer handle(Request request) throws java.io.IOException;
    }

    record Route(String method, Handler handler) {
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AdminRoutes.class);

    private final Map<String, Route> routes = new LinkedHashMap<>();
    private final java.util.List<java.util.function.Consumer<AccessLog.Entry>> servedListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile java.util.function.IntSupplier openStreams = () -> 0;
    private final java.util.List<java.util.function.Consumer<ObjectNode>> healthDecorators = new java.util.ArrayList<>();

    public AdminRoutes add(String method, String path, Handler handler) {
        routes.put(path, new Route(method, handler));
        return this;
    }

    public AdminRoutes health(java.util.function.Consumer<ObjectNode> decorator) {
        healthDecorators.add(decorator);
        return this;
    }

    /** Called with every access-log entry, after the response was finished (metrics). */
    public AdminRoutes onServed(java.util.function.Consumer<AccessLog.Entry> listener) {
        servedListeners.add(listener);
        return this;
    }

    /** Streams the server is writing right now; 0 until the server is built. */
    public int openStreams() {
        return openStreams.getAsInt();
    }

    void openStreams(java.util.function.IntSupplier source) {
        openStreams = source;
    }

    void served(AccessLog.Entry entry) {
        for (java.util.function.Consumer<AccessLog.Entry> l : servedListeners) {
            try {
                l.accept(entry);
            } catch (RuntimeException e) {
                // a listener's bug must never turn a served request into a failed one
                LOG.warn("request listener failed: {}", e.toString());
            }
        }
    }

    Route find(String path) {
        return routes.get(path);
    }

    void decorateHealth(ObjectNode health) {
        healthDecorators.forEach(d -> d.accept(health));
    }
}
