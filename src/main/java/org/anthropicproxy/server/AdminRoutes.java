package org.anthropicproxy.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Routes beyond the Messages API (quota, metrics) contributed by other packages at start-up. */
public final class AdminRoutes {

    public record Answer(int status, String contentType, byte[] body) {}

    @FunctionalInterface
    public interface Handler {
        Answer handle(Request request) throws IOException;
    }

    record Route(String method, Handler handler) {}

    private static final Logger LOG = LoggerFactory.getLogger(AdminRoutes.class);

    private final Map<String, Route> routes = new LinkedHashMap<>();
    private final List<Consumer<AccessLog.Entry>> servedListeners = new CopyOnWriteArrayList<>();
    private volatile IntSupplier openStreams = () -> 0;
    private final List<Consumer<ObjectNode>> healthDecorators = new ArrayList<>();

    public AdminRoutes add(String method, String path, Handler handler) {
        routes.put(path, new Route(method, handler));
        return this;
    }

    public AdminRoutes health(Consumer<ObjectNode> decorator) {
        healthDecorators.add(decorator);
        return this;
    }

    /** Called with every access-log entry, after the response was finished (metrics). */
    public AdminRoutes onServed(Consumer<AccessLog.Entry> listener) {
        servedListeners.add(listener);
        return this;
    }

    /** Streams the server is writing right now; 0 until the server is built. */
    public int openStreams() {
        return openStreams.getAsInt();
    }

    void openStreams(IntSupplier source) {
        openStreams = source;
    }

    void served(AccessLog.Entry entry) {
        for (Consumer<AccessLog.Entry> l : servedListeners) {
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
