package org.anthropicproxy.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.anthropicproxy.provider.Provider;
import org.anthropicproxy.provider.ProviderStatus;
import org.anthropicproxy.provider.Router;
import org.anthropicproxy.provider.Usage;
import org.anthropicproxy.quota.QuotaService;
import org.anthropicproxy.server.AccessLog;
import org.anthropicproxy.server.AdminRoutes;
import org.anthropicproxy.server.Version;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's figures in Prometheus text format, served at {@code GET /metrics}.
 *
 * <p>Per-request figures come from the access-log entry (one place sees every request once, after it finished);
 * failovers from the router; quota, credential and stream state are read when scraped, so they are never stale.
 * JVM figures live in one process-wide registry: their binders hold JVM-wide listeners, and a process running
 * several proxies (tests) must not bind them again for each.
 */
public final class Metrics {

    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    static final String NONE = "none";

    private static final Logger LOG = LoggerFactory.getLogger(Metrics.class);
    private static final Duration[] LATENCY_BUCKETS =
            seconds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600);
    private static final Supplier<PrometheusMeterRegistry> JVM = new Supplier<>() {
        private PrometheusMeterRegistry registry;

        @Override
        public synchronized PrometheusMeterRegistry get() {
            if (registry == null) {
                registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
                new JvmMemoryMetrics().bindTo(registry);
                new JvmThreadMetrics().bindTo(registry);
                new JvmGcMetrics().bindTo(registry); // lives as long as the process
                new ClassLoaderMetrics().bindTo(registry);
                new ProcessorMetrics().bindTo(registry);
                new UptimeMetrics().bindTo(registry);
            }
            return registry;
        }
    };

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Meters by their tags: a builder's register() looks the meter up again on every request, which costs more than
    // the request's own bookkeeping; the tag values come from config and status classes, so these maps stay small.
    private final Map<RequestTags, Counter> requests = new ConcurrentHashMap<>();
    private final Map<LatencyTags, Timer> latencies = new ConcurrentHashMap<>();
    private final Map<TokenTags, Counter> tokenCounters = new ConcurrentHashMap<>();

    private record RequestTags(String endpoint, String provider, String model, String status, String stream) {}

    private record LatencyTags(String name, String endpoint, String provider, String stream) {}

    private record TokenTags(String provider, String type) {}

    Metrics() {
        Gauge.builder("anthropic_proxy.build.info", () -> 1)
                .description("Version and build time of the running proxy")
                .tag("version", Version.VERSION)
                .tag("build_time", Version.BUILD_TIME)
                .register(registry);
    }

    /**
     * Creates the metrics of one proxy and wires them: {@code GET /metrics}, the per-request listener, the failover
     * listener, and scrape-time gauges for quota, credentials and open streams of every provider in use.
     */
    public static Metrics install(AdminRoutes admin, QuotaService quota, Router router) {
        Metrics m = new Metrics();
        admin.add("GET", "/metrics", request -> new AdminRoutes.Answer(200, CONTENT_TYPE, m.scrape()));
        admin.onServed(m::record);
        router.onFailover(m::failover);
        m.gauge(
                "anthropic_proxy.open.streams",
                "Streams being written to clients right now",
                List.of(),
                admin,
                a -> a.openStreams());
        for (Provider p : router.providersInUse()) {
            m.providerGauges(p, quota, router);
        }
        return m;
    }

    /** The scrape: this proxy's figures, then the JVM's. */
    public byte[] scrape() {
        return (registry.scrape() + JVM.get().scrape()).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * One finished request, as the access log saw it. The request is counted last, so a scrape that sees it counted
     * also sees its latency and tokens.
     */
    @SuppressWarnings("ReferenceEquality") // Usage.NONE is a sentinel: "no usage reported", unlike a zero usage
    void record(AccessLog.Entry e) {
        String endpoint = endpoint(e.path());
        String provider = orNone(e.provider());
        String stream = Boolean.toString(e.stream());
        if (!endpoint.equals("other")) {
            if (e.totalMicros() >= 0) {
                latency(
                                "anthropic_proxy.request.duration",
                                "Time from request to the last byte of the answer",
                                endpoint,
                                provider,
                                stream)
                        .record(e.totalMicros(), TimeUnit.MICROSECONDS);
            }
            if (e.ttfbMicros() >= 0) {
                latency(
                                "anthropic_proxy.time.to.first.byte",
                                "Time from request to the first byte of the answer",
                                endpoint,
                                provider,
                                stream)
                        .record(e.ttfbMicros(), TimeUnit.MICROSECONDS);
            }
            Usage u = e.usage();
            if (u != null && u != Usage.NONE) {
                tokens(provider, "input", u.inputTokens());
                tokens(provider, "output", u.outputTokens());
                tokens(provider, "cache_read", u.cacheReadTokens());
                tokens(provider, "cache_write", u.cacheWriteTokens());
            }
        }
        requests.computeIfAbsent(
                        new RequestTags(endpoint, provider, orNone(e.upstreamModel()), statusClass(e.status()), stream),
                        t -> Counter.builder("anthropic_proxy.requests")
                                .description(
                                        "Requests answered, by endpoint, final provider, upstream model, status class and whether the answer was a stream")
                                .tag("endpoint", t.endpoint())
                                .tag("provider", t.provider())
                                .tag("model", t.model())
                                .tag("status", t.status())
                                .tag("stream", t.stream())
                                .register(registry))
                .increment();
    }

    void failover(String from, String to) {
        Counter.builder("anthropic_proxy.failovers")
                .description("Calls moved from one provider of a chain to the next, by the provider that failed")
                .tag("from", from)
                .tag("to", to)
                .register(registry)
                .increment();
    }

    private void providerGauges(Provider p, QuotaService quota, Router router) {
        List<String> tag = List.of("provider", p.name());
        gauge(
                "anthropic_proxy.quota.exhausted",
                "1 while the provider is marked out of quota until its reset",
                tag,
                quota,
                q -> q.isExhausted(p.name()) ? 1 : 0);
        gauge(
                "anthropic_proxy.provider.available",
                "1 when the failover chain would try the provider now (not exhausted, cooling down or ejected)",
                tag,
                router,
                r -> r.status(p.name()).available() ? 1 : 0);
        for (ProviderStatus.State state : ProviderStatus.State.values()) {
            gauge(
                    "anthropic_proxy.provider.state",
                    "1 for the state the provider is in: available, ejected (on this instance), cooling_down or exhausted",
                    List.of("provider", p.name(), "state", state.wireName()),
                    router,
                    r -> r.status(p.name()).state() == state ? 1 : 0);
        }
        FunctionCounter.builder(
                        "anthropic_proxy.provider.ejections",
                        router,
                        r -> r.status(p.name()).ejections())
                .description("Times this instance ejected the provider after failures in a row")
                .tag("provider", p.name())
                .register(registry);
        gauge(
                "anthropic_proxy.credential.available",
                "1 when the provider has a usable credential without refreshing",
                tag,
                p,
                x -> credential(x).path("available").asBoolean(false) ? 1 : 0);
        gauge(
                "anthropic_proxy.credential.expires.in.seconds",
                "Seconds until the credential in memory expires (absent: never or unknown)",
                tag,
                p,
                x -> number(credential(x).get("expires_in_seconds")));
        gauge(
                "anthropic_proxy.credential.last.refresh.ok",
                "1 when the last credential refresh worked, 0 when it failed (absent: never refreshed)",
                tag,
                p,
                x -> {
                    JsonNode last = credential(x).get("last_refresh");
                    return last == null || last.isNull() ? Double.NaN : "ok".equals(last.asText()) ? 1 : 0;
                });
        gauge(
                "anthropic_proxy.credential.last.refresh.timestamp.seconds",
                "Unix time of the last credential refresh attempt",
                tag,
                p,
                x -> {
                    JsonNode at = credential(x).get("last_refresh_at");
                    return at == null || at.isNull()
                            ? Double.NaN
                            : Instant.parse(at.asText()).getEpochSecond();
                });
    }

    /** A gauge read at scrape time; a failing read shows as NaN (and a log line), never breaks the scrape. */
    private <T> void gauge(String name, String description, List<String> tags, T source, ToDoubleFunction<T> read) {
        Gauge.builder(name, source, s -> {
                    try {
                        return read.applyAsDouble(s);
                    } catch (RuntimeException e) {
                        LOG.debug("gauge {} could not be read: {}", name, e.toString());
                        return Double.NaN;
                    }
                })
                .description(description)
                .tags(tags.toArray(String[]::new))
                .strongReference(true)
                .register(registry);
    }

    private Timer latency(String name, String description, String endpoint, String provider, String stream) {
        return latencies.computeIfAbsent(
                new LatencyTags(name, endpoint, provider, stream),
                t -> Timer.builder(t.name())
                        .description(description)
                        .tag("endpoint", t.endpoint())
                        .tag("provider", t.provider())
                        .tag("stream", t.stream())
                        .serviceLevelObjectives(LATENCY_BUCKETS)
                        .register(registry));
    }

    private void tokens(String provider, String type, long n) {
        if (n > 0) {
            tokenCounters
                    .computeIfAbsent(
                            new TokenTags(provider, type),
                            t -> Counter.builder("anthropic_proxy.tokens")
                                    .description("Tokens reported by upstreams, by provider and kind")
                                    .tag("provider", t.provider())
                                    .tag("type", t.type())
                                    .register(registry))
                    .increment((double) n);
        }
    }

    /** The {@code credential} block the provider shows on /health: the one public view of its CredentialStatus. */
    private static JsonNode credential(Provider p) {
        return p.health().path("credential");
    }

    private static double number(JsonNode n) {
        return n == null || !n.isNumber() ? Double.NaN : n.asDouble();
    }

    static String endpoint(String path) {
        return switch (path) {
            case "/v1/messages", "/messages" -> "messages";
            case "/v1/messages/count_tokens", "/messages/count_tokens" -> "count_tokens";
            default -> "other";
        };
    }

    static String statusClass(int status) {
        return status < 100 || status > 599 ? NONE : status / 100 + "xx";
    }

    private static String orNone(String s) {
        return s == null || s.isEmpty() ? NONE : s;
    }

    private static Duration[] seconds(double... s) {
        Duration[] out = new Duration[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = Duration.ofMillis(Math.round(s[i] * 1000));
        }
        return out;
    }
}
