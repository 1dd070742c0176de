package org.anthropicproxy.usage;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import org.anthropicproxy.json.ErrorBody;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.provider.Usage;
import org.anthropicproxy.server.AccessLog;
import org.anthropicproxy.server.AdminRoutes;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.UrlEncoded;

/**
 * Wires usage history into a running proxy: every finished Messages request becomes a {@link UsageRecord} (built on
 * the request's thread from the access-log entry, then queued), and {@code GET /v1/usage} and
 * {@code GET /v1/usage/recent} read the store. Both routes are admin routes: they need an admin key when keys are
 * configured.
 */
public final class UsageApi {

    private static final Set<String> MESSAGES = Set.of("/v1/messages", "/messages");
    static final long MAX_DAYS = 3660;

    private final UsageRecorder recorder;
    private final Pricing pricing;
    private final java.time.Duration retention;

    /** Public for the benchmark of {@link #served}; a proxy gets its instance from {@link #install}. */
    public UsageApi(UsageRecorder recorder, Pricing pricing, java.time.Duration retention) {
        this.recorder = recorder;
        this.pricing = pricing;
        this.retention = retention;
    }

    /** Installs the listener and the routes; a null recorder (usage.store: none) answers 404 explaining why. */
    public static void install(
            AdminRoutes admin, UsageRecorder recorder, Pricing pricing, java.time.Duration retention) {
        if (recorder == null) {
            AdminRoutes.Handler off = request -> json(
                    404, ErrorBody.bytes("not_found_error", "usage history is off (usage.store: none in the config)"));
            admin.add("GET", "/v1/usage", off).add("GET", "/v1/usage/recent", off);
            return;
        }
        UsageApi api = new UsageApi(recorder, pricing, retention);
        admin.onServed(api::served);
        admin.add("GET", "/v1/usage", api::usage);
        admin.add("GET", "/v1/usage/recent", api::recent);
    }

    /**
     * On the request's thread: a record made of the entry's own fields and queued, nothing more (UsageRecordBench
     * in bench/ measures it).
     */
    public void served(AccessLog.Entry e) {
        if (e.provider() == null || !MESSAGES.contains(e.path())) {
            return;
        }
        Usage u = e.usage() == null ? Usage.NONE : e.usage();
        long start = recorder.clock().millis() - e.totalMicros() / 1000;
        recorder.record(new UsageRecord(
                start,
                e.requestId(),
                e.keyId(),
                e.provider(),
                e.clientModel(),
                e.upstreamModel(),
                e.stream(),
                e.status(),
                e.failovers(),
                e.ttfbMicros(),
                e.totalMicros(),
                u.inputTokens(),
                u.outputTokens(),
                u.cacheReadTokens(),
                u.cacheWriteTokens()));
    }

    private AdminRoutes.Answer usage(org.eclipse.jetty.server.Request request) {
        Fields q = query(request);
        if (q == null) {
            return badRequest("query: not valid percent-encoded UTF-8");
        }
        LocalDate today = LocalDate.now(recorder.clock());
        LocalDate to;
        LocalDate from;
        try {
            to = date(q, "to", today);
            from = date(q, "from", UsageRecorder.firstKept(to, retention));
        } catch (IllegalArgumentException e) {
            return badRequest(e.getMessage());
        }
        if (from.isAfter(to)) {
            return badRequest("from: " + from + " is after to: " + to);
        }
        if (ChronoUnit.DAYS.between(from, to) > MAX_DAYS) {
            return badRequest("from: the range " + from + " to " + to + " is longer than " + MAX_DAYS + " days");
        }
        String g = q.getValue("group_by");
        UsageReport.GroupBy groupBy = g == null ? UsageReport.GroupBy.DAY : UsageReport.GroupBy.parse(g);
        if (groupBy == null) {
            return badRequest("group_by: '" + g + "' is not one of day, week, month, model, provider, key");
        }
        try {
            return json(
                    200, Json.bytes(UsageReport.build(recorder.store().daily(from, to), from, to, groupBy, pricing)));
        } catch (UsageStoreException e) {
            return unavailable(e);
        }
    }

    private AdminRoutes.Answer recent(org.eclipse.jetty.server.Request request) {
        Fields q = query(request);
        if (q == null) {
            return badRequest("query: not valid percent-encoded UTF-8");
        }
        int limit = 50;
        String l = q.getValue("limit");
        if (l != null) {
            try {
                limit = Integer.parseInt(l);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > 1000) {
                return badRequest("limit: '" + l + "' is not a number from 1 to 1000");
            }
        }
        try {
            ObjectNode root = Json.object();
            ArrayNode out = root.putArray("requests");
            for (UsageRecord r : recorder.store().recent(limit)) {
                out.add(recentNode(r));
            }
            return json(200, Json.bytes(root));
        } catch (UsageStoreException e) {
            return unavailable(e);
        }
    }

    private static ObjectNode recentNode(UsageRecord r) {
        ObjectNode n = Json.object();
        n.put("time", Instant.ofEpochMilli(r.timeMillis()).toString());
        n.put("request_id", r.requestId());
        n.put("key_id", r.keyId());
        n.put("provider", r.provider());
        n.put("client_model", r.clientModel());
        n.put("upstream_model", r.upstreamModel());
        n.put("stream", r.stream());
        n.put("status", r.status());
        n.put("failovers", r.failovers());
        n.put("ttfb_ms", r.ttfbMicros() < 0 ? null : r.ttfbMicros() / 1000.0);
        n.put("duration_ms", r.durationMicros() / 1000.0);
        n.put("input_tokens", r.inputTokens());
        n.put("output_tokens", r.outputTokens());
        n.put("cache_read_input_tokens", r.cacheReadTokens());
        n.put("cache_creation_input_tokens", r.cacheWriteTokens());
        return n;
    }

    static LocalDate date(Fields q, String name, LocalDate dflt) {
        String v = q.getValue(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return LocalDate.parse(v.strip());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + ": '" + v + "' is not a date (YYYY-MM-DD)");
        }
    }

    private static Fields query(org.eclipse.jetty.server.Request request) {
        Fields fields = new Fields();
        String q = request.getHttpURI().getQuery();
        if (q != null) {
            try {
                UrlEncoded.decodeUtf8To(q, fields);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return fields;
    }

    private static AdminRoutes.Answer badRequest(String message) {
        return json(400, ErrorBody.bytes("invalid_request_error", message));
    }

    private static AdminRoutes.Answer unavailable(UsageStoreException e) {
        return json(503, ErrorBody.bytes("api_error", e.getMessage() + "; retry later"));
    }

    private static AdminRoutes.Answer json(int status, byte[] body) {
        return new AdminRoutes.Answer(status, "application/json", body);
    }
}
