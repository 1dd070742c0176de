package org.anthropicproxy.provider;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.anthropicproxy.config.ModelRoute;
import org.anthropicproxy.json.ErrorBody;
import org.eclipse.jetty.http.HttpFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a call from the first usable provider of its chain, moving on when the policy says a failure should not
 * reach the client. Only failures that happened before anything was written can move on, so a client never sees
 * content twice.
 */
public final class Router implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Router.class);
    /** A chain spent for longer than this is answered with {@code x-should-retry: false}. */
    private static final long FAR_RESET_SECONDS = 300;

    /** How a routed call ended, for the access log. */
    public record Result(String provider, Outcome outcome, int failovers) {
    }

    private record PatternRoute(Pattern pattern, List<String> chain) {
    }

    private final Map<String, Provider> providers;
    private final List<String> route;
    private final List<PatternRoute> modelRoutes;
    private final FailoverPolicy policy;
    private final Clock clock;
    private volatile java.util.function.BiConsumer<String, String> failoverListener = (from, to) -> { };

    public Router(Map<String, Provider> providers, List<String> route, List<ModelRoute> modelRoutes,
                  FailoverPolicy policy, Clock clock) {
        this.providers = new LinkedHashMap<>(providers);
        this.route = List.copyOf(route);
        List<PatternRoute> mr = new ArrayList<>();
        for (ModelRoute r : modelRoutes) {
            mr.add(new PatternRoute(glob(r.match()), r.chain()));
        }
        this.modelRoutes = List.copyOf(mr);
        this.policy = policy;
        this.clock = clock;
    }

    /** Told {@code (from, to)} each time a call moves on to the next provider of its chain (metrics). */
    public void onFailover(java.util.function.BiConsumer<String, String> listener) {
        this.failoverListener = listener;
    }

    public List<String> route() {
        return route;
    }

    public List<String> chainFor(String model) {
        for (PatternRoute r : modelRoutes) {
            if (r.pattern.matcher(model).matches()) {
                return r.chain;
            }
        }
        return route;
    }

    public Provider provider(String name) {
        return providers.get(name);
    }

    /** The providers of the global route, then those only model routes use, each once. */
    public List<Provider> providersInUse() {
        List<Provider> out = new ArrayList<>();
        route.forEach(n -> out.add(providers.get(n)));
        for (PatternRoute r : modelRoutes) {
            for (String n : r.chain) {
                Provider p = providers.get(n);
                if (!out.contains(p)) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    public Result messages(Call call, ClientSink client) {
        return dispatch(call, client, Provider::messages);
    }

    /**
     * {@link #messages} without waiting, where it can be: a model served by one provider alone is handed to its
     * {@link Provider#messagesAsync}, and only a failure (whose answer the policy decides) comes back to a virtual
     * thread. A chain of several providers is served on the calling thread, as {@link #messages}.
     */
    public CompletableFuture<Result> messagesAsync(Call call, ClientSink client) {
        List<String> chain = chainFor(call.clientModel());
        if (chain.size() != 1) {
            return CompletableFuture.completedFuture(messages(call, client));
        }
        String name = chain.get(0);
        policy.onRequest(name);
        return providers.get(name).messagesAsync(call.withHold(false), client).thenCompose(outcome -> {
            if (!(outcome instanceof Outcome.Failed failed)) {
                return CompletableFuture.completedFuture(new Result(name, outcome, 0));
            }
            return CompletableFuture.supplyAsync(() -> {
                policy.failOver(name, failed.failure()); // a lone provider has nowhere to go; its quota state is kept
                return answerFailure(name, failed, 0, client);
            }, VirtualThreads.EXECUTOR);
        });
    }

    /** Whether {@link #messagesAsync} for {@code call} blocks nowhere before the upstream answers. */
    public boolean servesWithoutBlocking(Call call) {
        List<String> chain = chainFor(call.clientModel());
        return chain.size() == 1 && policy.onRequestWithoutBlocking() && providers.get(chain.get(0)).answersWithoutBlocking(call);
    }

    public Result countTokens(Call call, ClientSink client) {
        return dispatch(call, client, Provider::countTokens);
    }

    private Result dispatch(Call call, ClientSink client, Action action) {
        List<String> chain = chainFor(call.clientModel());
        List<String> usable = new ArrayList<>(chain.size());
        for (String name : chain) {
            if (chain.size() == 1 || policy.unavailableUntil(name).isEmpty()) {
                // a lone provider is always tried: refusing it would only turn its own error into ours
                usable.add(name);
            }
        }
        if (usable.isEmpty()) {
            return allUnavailable(chain, client);
        }
        Outcome.Failed last = null;
        List<Failures.NoCredential> noCredential = new ArrayList<>();
        String lastName = null;
        boolean lastWantedFailover = false;
        int failovers = 0;
        for (int i = 0; i < usable.size(); i++) {
            String name = usable.get(i);
            boolean more = i + 1 < usable.size();
            policy.onRequest(name);
            Outcome outcome = action.run(providers.get(name), call.withHold(more), client);
            if (!(outcome instanceof Outcome.Failed failed)) {
                return new Result(name, outcome, failovers);
            }
            last = failed;
            lastName = name;
            if (failed.replay() instanceof Failures.NoCredential nc) {
                noCredential.add(nc);
            }
            lastWantedFailover = policy.failOver(name, failed.failure());
            if (!lastWantedFailover || !more) {
                break;
            }
            failovers++;
            failoverListener.accept(name, usable.get(i + 1));
            LOG.info("request {}: provider {} failed ({}), trying {}", call.requestId(), name,
                    describe(failed.failure()), usable.get(i + 1));
        }
        if (lastWantedFailover && chain.size() > 1 && chain.stream().allMatch(n -> policy.unavailableUntil(n).isPresent())) {
            // Claude Code retries a 429 without end: when the whole chain is spent, say until when instead.
            Result r = allUnavailable(chain, client);
            return new Result(lastName, r.outcome(), failovers);
        }
        if (noCredential.size() > 1 && noCredential.size() == failovers + 1) {
            last = NoCredentialChain.answer(noCredential, last);
        }
        return answerFailure(lastName, last, failovers, client);
    }

    /** The client gets the last failure as its provider answered it. */
    private static Result answerFailure(String name, Outcome.Failed last, int failovers, ClientSink client) {
        try {
            last.replay().writeTo(client);
        } catch (IOException e) {
            return new Result(name, new Outcome.ClientGone(last.upstreamModel()), failovers);
        }
        return new Result(name, last, failovers);
    }

    private Result allUnavailable(List<String> chain, ClientSink client) {
        Instant now = clock.instant();
        Instant earliest = null;
        StringBuilder sb = new StringBuilder("All providers are unavailable:");
        for (String name : chain) {
            Instant until = policy.unavailableUntil(name).orElse(now);
            sb.append(' ').append(name).append(" until ").append(until).append(';');
            if (earliest == null || until.isBefore(earliest)) {
                earliest = until;
            }
        }
        long retryAfter = Math.max(1, Duration.between(now, earliest).toSeconds());
        sb.setLength(sb.length() - 1);
        String message = sb.toString();
        HttpFields.Mutable headers = HttpFields.build().put("content-type", "application/json")
                .put("retry-after", Long.toString(retryAfter));
        if (retryAfter > FAR_RESET_SECONDS) {
            // Claude Code would retry for minutes in silence; told not to, it shows this message at once (ClaudeCodeFailFastE2EIT)
            headers.put(ErrorBody.SHOULD_RETRY, "false");
        }
        try {
            client.respond(429, headers, ErrorBody.bytes("rate_limit_error", message));
        } catch (IOException e) {
            return new Result(chain.get(0), new Outcome.ClientGone(null), 0);
        }
        UpstreamError err = new UpstreamError(429, Map.of(), message, false);
        return new Result(String.join(",", chain), new Outcome.Failed(err, null, c -> { }), 0);
    }

    private static String describe(UpstreamError e) {
        if (e.connectFailure()) {
            return e.body();
        }
        String body = e.body() == null ? "" : e.body();
        return "HTTP " + e.status() + " " + SecretRedactor.redact(body.length() > 200 ? body.substring(0, 200) + "…" : body);
    }

    private static Pattern glob(String g) {
        StringBuilder sb = new StringBuilder();
        for (char c : g.toCharArray()) {
            switch (c) {
                case '*' -> sb.append(".*");
                case '?' -> sb.append('.');
                default -> sb.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(sb.toString(), Pattern.CASE_INSENSITIVE);
    }

    @FunctionalInterface
    private interface Action {
        Outcome run(Provider p, Call call, ClientSink client);
    }

    @Override
    public void close() {
        providers.values().forEach(Provider::close);
    }
}
