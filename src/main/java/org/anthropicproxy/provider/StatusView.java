package org.anthropicproxy.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.Map;

/**
 * Adds each provider's {@link ProviderStatus} to {@code GET /v1/quota} and {@code /health}: {@code state}
 * ({@code available}, {@code ejected}, {@code cooling_down}, {@code exhausted}), {@code until}, {@code reason} and
 * {@code consecutive_failures}, with the field names the status page reads. Guarded by {@code HealthFailoverIT}.
 */
public final class StatusView {

    private static final DateTimeFormatter UTC_MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private StatusView() {}

    /** The quota view's {@code providers.NAME} objects get the status fields; {@code available} follows the state. */
    public static ObjectNode quota(ObjectNode view, Router router) {
        JsonNode providers = view.path("providers");
        for (Iterator<Map.Entry<String, JsonNode>> it = providers.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue() instanceof ObjectNode n) {
                ProviderStatus s = router.status(e.getKey());
                put(n, s);
                n.put("available", s.available());
            }
        }
        return view;
    }

    /** The {@code providers} array of {@code /health} gets the status fields, by each entry's {@code name}. */
    public static ObjectNode health(ObjectNode health, Router router) {
        for (JsonNode p : health.path("providers")) {
            if (p instanceof ObjectNode n && n.path("name").isTextual()) {
                put(n, router.status(n.path("name").asText()));
            }
        }
        return health;
    }

    private static void put(ObjectNode n, ProviderStatus s) {
        n.put("state", s.state().wireName());
        n.put("until", format(s.until()));
        n.put("reason", SecretRedactor.redact(s.reason()));
        n.put("consecutive_failures", s.consecutiveFailures());
    }

    private static String format(Instant at) {
        return at == null ? null : UTC_MILLIS.format(at);
    }
}
