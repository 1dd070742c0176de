package org.anthropicproxy.provider;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import org.anthropicproxy.config.ModelRoute;
import org.anthropicproxy.json.ErrorBody;
import org.eclipse.jetty.http.HttpFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a call from the first usable provider of its chain, moving on when the policy says a failure should not
 * reach the client. Only failures that happened before anything was written can move on, so a client never sees
 * content twice. The policy says which providers are available; the router decides what to do when none is (panic
 * routing: try them anyway) and what the client sees when all fail ({@link ChainFailure}), guarded by
 * {@code HealthFailoverIT} and {@code HybridFailoverIT}.
 */
public final class Router implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Router.class);
    /** An all-exhausted 429 whose reset is further away than this tells clients not to retry. */
    static final Duration NO_RETRY_AFTER = Duration.ofMinutes(5);

    /** How a routed call ended, for the access log. */
    public record Result(String provider, Outcome outcome, int failovers) {}

    private record PatternRoute(Pattern pattern, List<String> chain) {}

    private final Map<String, Provider> providers;
    private final List<String> route;
    private final List<PatternRoute> modelRoutes;
    private final FailoverPolicy policy;
    private final Clock clock;
    private volatile BiConsumer<String, String> failoverListener = (from, to) -> {};

    public Router(
            Map<String, Provider> providers,
            List<String> route,
            List<ModelRoute> modelRoutes,
            FailoverPolicy policy,
            Clock clock) {
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
    public void onFailover(BiConsumer<String, String> listener) {
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
        return dispatch(call, client, Provider::messages, true);
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
                served(name, outcome);
                return CompletableFuture.completedFuture(new Result(name, outcome, 0));
            }
            return CompletableFuture.supplyAsync(
                    () -> {
                        policy.failOver(
                                name, failed.failure()); // a lone provider has nowhere to go; its quota state is kept
                        return answerFailure(name, failed, 0, client);
                    },
                    VirtualThreads.EXECUTOR);
        });
    }

    /** Whether {@link #messagesAsync} for {@code call} blocks nowhere before the upstream answers. */
    public boolean servesWithoutBlocking(Call call) {
        List<String> chain = chainFor(call.clientModel());
        return chain.size() == 1
                && policy.onRequestWithoutBlocking()
                && providers.get(chain.get(0)).answersWithoutBlocking(call);
    }

    public Result countTokens(Call call, ClientSink client) {
        // a translating provider counts tokens locally: its success says nothing about the upstream's health
        return dispatch(call, client, Provider::countTokens, false);
    }

    private Result dispatch(Call call, ClientSink client, Action action, boolean successShowsHealth) {
        List<String> chain = chainFor(call.clientModel());
        List<String> order = order(chain, call.requestId());
        if (order.isEmpty()) {
            return allExhausted(chain, client, String.join(",", chain), 0);
        }
        List<String> attempts = new ArrayList<>(order.size());
        Outcome.Failed last = null;
        List<Failures.NoCredential> noCredential = new ArrayList<>();
        String lastName = null;
        boolean movedOn = false;
        int failovers = 0;
        for (int i = 0; i < order.size(); i++) {
            String name = order.get(i);
            boolean more = i + 1 < order.size();
            policy.onRequest(name);
            Outcome outcome = action.run(providers.get(name), call.withHold(more), client);
            if (!(outcome instanceof Outcome.Failed failed)) {
                if (successShowsHealth) {
                    served(name, outcome);
                }
                return new Result(name, outcome, failovers);
            }
            last = failed;
            lastName = name;
            if (failed.replay() instanceof Failures.NoCredential nc) {
                noCredential.add(nc);
            }
            FailoverPolicy.Verdict verdict = policy.failOver(name, failed.failure());
            movedOn = verdict.moveOn();
            attempts.add(name + ": " + verdict.reason());
            if (!movedOn || !more) {
                break;
            }
            failovers++;
            failoverListener.accept(name, order.get(i + 1));
            LOG.info(
                    "request {}: provider {} failed ({}), trying {}",
                    call.requestId(),
                    name,
                    describe(failed.failure()),
                    order.get(i + 1));
        }
        if (movedOn && chain.size() > 1 && chain.stream().allMatch(n -> state(n) == ProviderStatus.State.EXHAUSTED)) {
            // Claude Code retries a 429 without end: when the whole chain is spent, say until when instead.
            return allExhausted(chain, client, lastName, failovers);
        }
        if (noCredential.size() > 1 && noCredential.size() == attempts.size()) {
            // no provider had a credential: one 401 naming each and the login that fixes it, not retried
            return answerFailure(lastName, NoCredentialChain.answer(noCredential, last), failovers, client);
        }
        if (movedOn && attempts.size() > 1) {
            try {
                ChainFailure.writeTo(client, last, attempts);
            } catch (IOException e) {
                return new Result(lastName, new Outcome.ClientGone(last.upstreamModel()), failovers);
            }
            return new Result(lastName, last, failovers);
        }
        return answerFailure(lastName, last, failovers, client);
    }

    /**
     * The providers to try, in order: the available ones of the chain, then (panic routing, as a last resort) those
     * ejected or cooling down, earliest-returning first. A request is never refused untried because of health, and
     * one that succeeds ends its provider's ejection. Exhausted providers are never tried; the list is empty only when
     * every provider of a chain of several is exhausted. A lone provider is always tried: refusing it would only turn
     * its own error into ours.
     */
    private List<String> order(List<String> chain, String requestId) {
        if (chain.size() == 1) {
            return chain;
        }
        Map<String, ProviderStatus> status = new LinkedHashMap<>();
        chain.forEach(n -> status.put(n, policy.status(n)));
        List<String> order = new ArrayList<>(
                chain.stream().filter(n -> status.get(n).available()).toList());
        List<String> unhealthy = chain.stream()
                .filter(n -> !status.get(n).available() && status.get(n).state() != ProviderStatus.State.EXHAUSTED)
                .sorted(Comparator.comparing(n -> status.get(n).until()))
                .toList();
        if (order.isEmpty() && !unhealthy.isEmpty()) {
            LOG.debug("request {}: no provider of {} is available, trying {} anyway", requestId, chain, unhealthy);
        }
        order.addAll(unhealthy);
        return order;
    }

    private void served(String name, Outcome outcome) {
        if (outcome instanceof Outcome.Served s && s.streamError() == null) {
            policy.onSuccess(name);
        }
    }

    /** Whether the provider takes requests now, and if not, why and until when (for /v1/quota, /health, metrics). */
    public ProviderStatus status(String provider) {
        return policy.status(provider);
    }

    private ProviderStatus.State state(String provider) {
        return policy.status(provider).state();
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

    /**
     * Every provider of the chain is out of quota: 429 with {@code retry-after} to the earliest reset, naming each
     * provider and its reset time. A wait longer than {@link #NO_RETRY_AFTER} is also marked {@code x-should-retry:
     * false}, so SDKs do not hammer a chain that cannot serve for hours.
     */
    private Result allExhausted(List<String> chain, ClientSink client, String provider, int failovers) {
        Instant now = clock.instant();
        Instant earliest = null;
        StringBuilder sb = new StringBuilder("All providers are out of quota:");
        for (String name : chain) {
            Instant until = Optional.ofNullable(policy.status(name).until()).orElse(now);
            sb.append(' ').append(name).append(" until ").append(until).append(';');
            if (earliest == null || until.isBefore(earliest)) {
                earliest = until;
            }
        }
        Duration wait = Duration.between(now, earliest);
        long retryAfter = Math.max(1, wait.toSeconds());
        sb.setLength(sb.length() - 1);
        String message = sb.toString();
        HttpFields.Mutable headers = HttpFields.build()
                .put("content-type", "application/json")
                .put("retry-after", Long.toString(retryAfter));
        if (wait.compareTo(NO_RETRY_AFTER) > 0) {
            // Claude Code would retry for minutes in silence; told not to, it shows this message at once
            // (ClaudeCodeFailFastE2EIT)
            headers.put(ErrorBody.SHOULD_RETRY, "false");
        }
        try {
            client.respond(429, headers, ErrorBody.bytes("rate_limit_error", message));
        } catch (IOException e) {
            return new Result(provider, new Outcome.ClientGone(null), failovers);
        }
        UpstreamError err = new UpstreamError(429, Map.of(), message, false);
        return new Result(provider, new Outcome.Failed(err, null, c -> {}), failovers);
    }

    private static String describe(UpstreamError e) {
        if (e.connectFailure()) {
            return e.body();
        }
        String body = e.body() == null ? "" : e.body();
        return "HTTP " + e.status() + " "
                + SecretRedactor.redact(body.length() > 200 ? body.substring(0, 200) + "…" : body);
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
