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

    private final Map<String, Route> routes = new LinkedHashMap<>();
    private final java.util.List<java.util.function.Consumer<ObjectNode>> healthDecorators = new java.util.ArrayList<>();

    public AdminRoutes add(String method, String path, Handler handler) {
        routes.put(path, new Route(method, handler));
        return this;
    }

    public AdminRoutes health(java.util.function.Consumer<ObjectNode> decorator) {
        healthDecorators.add(decorator);
        return this;
    }

    Route find(String path) {
        return routes.get(path);
    }

    void decorateHealth(ObjectNode health) {
        healthDecorators.forEach(d -> d.accept(health));
    }
}
