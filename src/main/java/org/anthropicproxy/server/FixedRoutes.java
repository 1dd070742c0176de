package org.anthropicproxy.server;

import static org.anthropicproxy.server.Answers.json;
import static org.anthropicproxy.server.Answers.wrongMethod;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntSupplier;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.provider.Provider;
import org.anthropicproxy.provider.Router;
import org.eclipse.jetty.http.HttpFields;

/**
 * Owns the routes answered by the proxy itself: the open probes (root, /api/hello, /health, answered without a key)
 * and, behind authentication, the model list, a single model, the telemetry sink and the 404 for anything else.
 */
final class FixedRoutes {

    private static final Set<String> MODELS = Set.of("/v1/models", "/models");
    private static final Set<String> OPEN = Set.of("/", "/api/hello", "/health");

    private final Router router;
    private final Pinger pinger;
    private final AdminRoutes admin;
    private final IntSupplier inFlight;
    private final long startedMillis = System.currentTimeMillis();

    FixedRoutes(Router router, Pinger pinger, AdminRoutes admin, IntSupplier inFlight) {
        this.router = router;
        this.pinger = pinger;
        this.admin = admin;
        this.inFlight = inFlight;
    }

    static boolean isOpen(String path) {
        return OPEN.contains(path);
    }

    /** Probes and health: answered without a key so load balancers and Claude Code's HEAD / work. */
    Served open(JettyClientSink sink, String method, String path, HttpFields headers) throws IOException {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return wrongMethod(sink, method, path, "GET, HEAD");
        }
        if (path.equals("/") && StatusPage.wantsPage(method, headers)) {
            StatusPage.redirect(sink);
            return Served.plain();
        }
        if (path.equals("/health")) {
            return json(sink, 200, health());
        }
        return json(sink, 200, Json.object().put("status", "ok").put("service", "anthropic-proxy"));
    }

    Served api(JettyClientSink sink, String method, String path) throws IOException {
        if (MODELS.contains(path)) {
            return method.equals("GET") ? json(sink, 200, models()) : wrongMethod(sink, method, path, "GET");
        }
        if (path.startsWith("/v1/models/") || path.startsWith("/models/")) {
            return method.equals("GET")
                    ? model(sink, path.substring(path.lastIndexOf('/') + 1))
                    : wrongMethod(sink, method, path, "GET");
        }
        if (path.equals("/api/event_logging/batch")) {
            // Claude Code telemetry: acknowledged and dropped, never forwarded upstream
            return method.equals("POST")
                    ? json(sink, 200, Json.object().put("success", true))
                    : wrongMethod(sink, method, path, "POST");
        }
        Answers.error(sink, 404, "not_found_error", "Not found: " + method + " " + path);
        return Served.note("no such route");
    }

    private ObjectNode models() {
        ObjectNode root = Json.object();
        ArrayNode data = root.putArray("data");
        List<String> seen = new ArrayList<>();
        for (Provider p : router.providersInUse()) {
            for (String id : p.models().advertisedNames()) {
                if (!seen.contains(id)) {
                    seen.add(id);
                    data.add(modelNode(id, p.name()));
                }
            }
        }
        root.put("has_more", false);
        root.put("first_id", seen.isEmpty() ? null : seen.get(0));
        root.put("last_id", seen.isEmpty() ? null : seen.get(seen.size() - 1));
        return root;
    }

    private Served model(JettyClientSink sink, String id) throws IOException {
        for (Provider p : router.providersInUse()) {
            if (p.models().advertisedNames().contains(id)) {
                return json(sink, 200, modelNode(id, p.name()));
            }
        }
        Answers.error(sink, 404, "not_found_error", "model: " + id + " is not served by this proxy");
        return Served.plain();
    }

    private static ObjectNode modelNode(String id, String provider) {
        ObjectNode m = Json.object();
        m.put("type", "model");
        m.put("id", id);
        m.put("display_name", id + " (" + provider + ")");
        m.put("created_at", "2025-01-01T00:00:00Z");
        return m;
    }

    private ObjectNode health() {
        ObjectNode h = Json.object();
        h.put("status", "healthy");
        h.put("version", Version.VERSION);
        h.put("build_time", Version.BUILD_TIME);
        h.put("uptime_seconds", (System.currentTimeMillis() - startedMillis) / 1000);
        ArrayNode route = h.putArray("route");
        router.route().forEach(route::add);
        List<Provider> inUse = router.providersInUse();
        Provider first = inUse.get(0);
        h.put("provider", first.name());
        h.put("kind", first.kind());
        ArrayNode ps = h.putArray("providers");
        inUse.forEach(p -> ps.add(p.health()));
        h.put("open_streams", pinger.openStreams());
        h.put("in_flight", inFlight.getAsInt()); // this request included
        admin.decorateHealth(h);
        return h;
    }
}
