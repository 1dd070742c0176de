package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.LongSupplier;
import org.anthropicproxy.config.ProviderSettings;
import org.anthropicproxy.credentials.Credential;
import org.anthropicproxy.credentials.CredentialSource;
import org.anthropicproxy.credentials.CredentialUnavailableException;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.provider.Call;
import org.anthropicproxy.provider.ClientSink;
import org.anthropicproxy.provider.Failures;
import org.anthropicproxy.provider.ModelMapper;
import org.anthropicproxy.provider.Outcome;
import org.anthropicproxy.provider.Provider;
import org.anthropicproxy.provider.RejectedCredential;
import org.anthropicproxy.provider.UpstreamError;
import org.anthropicproxy.provider.UpstreamHttp;
import org.anthropicproxy.provider.Usage;
import org.anthropicproxy.provider.VirtualThreads;
import org.eclipse.jetty.http.HttpFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI Chat Completions upstream behind the Anthropic API: requests mapped by {@link RequestMapper}, answers by
 * {@link ResponseMapper} or, for streams, {@link StreamTranslator}. A dialect that only streams serves non-stream
 * clients by accumulating the translated stream.
 */
public final class OpenAiProvider implements Provider {

    private static final Logger LOG = LoggerFactory.getLogger(OpenAiProvider.class);
    static final int MAX_RESPONSE_BODY = 64 * 1024 * 1024;
    private static final HttpFields JSON = Failures.JSON;
    static final int MAX_BODY_MAPPED_ON_IO_THREAD = 128 * 1024;

    private final ProviderSettings settings;
    private final OpenAiDialect dialect;
    private final ModelMapper models;
    private final CredentialSource credentials;
    private final UpstreamHttp http;
    private final RequestBodyMapper bodyMapper;
    private final UpstreamHeaders upstreamHeaders;
    private final WholeCompletion wholeCompletion;
    private final URI chatUri;

    public OpenAiProvider(
            ProviderSettings settings, OpenAiDialect dialect, CredentialSource credentials, UpstreamHttp http) {
        this.settings = settings;
        this.dialect = dialect;
        this.models = new ModelMapper(settings.models());
        this.credentials = credentials;
        this.http = http;
        this.bodyMapper = new RequestBodyMapper(dialect);
        this.upstreamHeaders = new UpstreamHeaders(settings);
        this.wholeCompletion = new WholeCompletion(new ResponseMapper(dialect));
        this.chatUri = settings.resolve(settings.chatPath());
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public String kind() {
        return ProviderSettings.OPENAI;
    }

    /**
     * Mapping the request is work (≈ 0.1–0.3 ms for a Claude Code turn), not waiting: done on the I/O thread that read
     * it, it saves waking a virtual thread's carrier. Not for a body over {@value #MAX_BODY_MAPPED_ON_IO_THREAD} bytes
     * (≈ 6 µs per KB: a few MB of screenshots would hold the selector, and every request it reads, for milliseconds,
     * where a wake-up is nothing beside the mapping), nor for a non-stream request to a dialect that only streams,
     * aggregated by a blocking reader.
     */
    @Override
    public boolean answersWithoutBlocking(Call call) {
        return call.body().length <= MAX_BODY_MAPPED_ON_IO_THREAD
                && credentials.currentAtHand()
                && (call.stream() || !dialect.forceStream());
    }

    @Override
    public ModelMapper models() {
        return models;
    }

    @Override
    public Outcome countTokens(Call call, ClientSink client) {
        String upstreamModel = models.map(call.clientModel());
        try {
            JsonNode req = Json.MAPPER.readTree(call.body());
            long n = TokenCounter.shared().countRequest(req);
            client.respond(200, JSON, Json.bytes(Json.object().put("input_tokens", n)));
            return new Outcome.Served(200, upstreamModel, Usage.NONE, null);
        } catch (IOException e) {
            return new Outcome.ClientGone(upstreamModel);
        }
    }

    /** A request mapped for the upstream, with what its answer's translation needs. */
    private record Prepared(
            String upstreamModel,
            MappedRequest mapped,
            byte[] body,
            FutureTask<Long> inputEstimate,
            LongSupplier quickInputEstimate) {}

    /** The mapped request, or the 400 the proxy answers itself. */
    private Object prepare(Call call) {
        String upstreamModel = models.map(call.clientModel());
        RequestBodyMapper.Mapped m;
        try {
            m = bodyMapper.map(call.body(), call.scan(), upstreamModel);
        } catch (UnsupportedFeatureException e) {
            return Failures.local(400, "invalid_request_error", e.getMessage(), upstreamModel);
        } catch (IOException | ClassCastException e) {
            return Failures.local(400, "invalid_request_error", "request body is not valid JSON", upstreamModel);
        }
        MappedRequest mapped = m.mapped();
        if (!mapped.notes().isEmpty() && LOG.isDebugEnabled()) {
            LOG.debug("request {} to {}: {}", call.requestId(), name(), String.join("; ", mapped.notes()));
        }
        // the exact input count (tokenizer; the memo makes a Claude Code turn cheap: only what is new since the last
        // turn
        // is tokenized) is needed only when the upstream reports no prompt_tokens, and then counted on the spot;
        // message_start gets a quick estimate, which the upstream's figure in message_delta replaces
        return new Prepared(
                upstreamModel,
                mapped,
                mapped.bytes(),
                new FutureTask<>(() -> m.inputTokens(call.body())),
                m::quickInputEstimate);
    }

    @Override
    public Outcome messages(Call call, ClientSink client) {
        Object prepared = prepare(call);
        return prepared instanceof Prepared p ? send(call, client, p) : (Outcome) prepared;
    }

    private Outcome send(Call call, ClientSink client, Prepared p) {
        Credential credential;
        try {
            credential = credentials.current();
        } catch (CredentialUnavailableException e) {
            return Failures.noCredential(name(), e, p.upstreamModel());
        }
        UpstreamHttp.Exchange ex;
        // a client gone before the answer ends the wait, which gives the upstream request up (ClientDepartureIT)
        client.onClientGone(Thread.currentThread()::interrupt);
        try {
            ex = post(credential, p.mapped().upstreamStreams(), p.body());
        } catch (UpstreamHttp.NoAnswerException e) {
            return Failures.noAnswer(e, p.upstreamModel());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome.ClientGone(p.upstreamModel());
        } finally {
            client.onClientGone(() -> {});
        }
        return answered(call, client, p, credential, ex);
    }

    /**
     * A call no other provider waits to take over is sent without waiting for the answer: a translated stream and a
     * whole completion are then translated by the thread that receives them. A 4xx/5xx (and the 401 refresh), a
     * stream aggregated for a non-stream client and a held call are served on a virtual thread, as by
     * {@link #messages}.
     */
    @Override
    @SuppressWarnings("FutureReturnValueIgnored") // the nested future is composed at once (thenCompose)
    public CompletableFuture<Outcome> messagesAsync(Call call, ClientSink client) {
        if (call.holdUntilContent()) {
            return CompletableFuture.completedFuture(messages(call, client));
        }
        Object prepared = prepare(call);
        if (!(prepared instanceof Prepared p)) {
            return CompletableFuture.completedFuture((Outcome) prepared);
        }
        if (p.mapped().upstreamStreams() && !call.stream()) {
            return CompletableFuture.completedFuture(send(call, client, p));
        }
        Credential credential;
        try {
            credential = credentials.current();
        } catch (CredentialUnavailableException e) {
            return CompletableFuture.completedFuture(Failures.noCredential(name(), e, p.upstreamModel()));
        }
        boolean streams = p.mapped().upstreamStreams();
        HttpFields headers = upstreamHeaders.headers(credential, streams);
        CompletableFuture<UpstreamHttp.Exchange> sent = streams
                ? http.postAsync(chatUri, headers, p.body())
                : http.postForWholeAsync(chatUri, headers, p.body(), MAX_RESPONSE_BODY);
        String secret = credential == null ? null : credential.secret();
        // message_start's estimate, counted here while the upstream works on its answer: the one I/O thread that
        // receives the upstream's answers should only translate
        long quickEstimate = streams ? p.quickInputEstimate().getAsLong() : 0;
        client.onClientGone(() -> sent.cancel(false)); // before the answer: the upstream request is given up
        return sent.<CompletableFuture<Outcome>>handle((ex, failure) -> {
                    if (failure instanceof java.util.concurrent.CancellationException) {
                        return CompletableFuture.<Outcome>completedFuture(new Outcome.ClientGone(p.upstreamModel()));
                    }
                    if (failure != null) {
                        return CompletableFuture.completedFuture(Failures.notAnswered(failure, p.upstreamModel()));
                    }
                    if (ex.status() >= 400) {
                        return CompletableFuture.supplyAsync(
                                () -> answered(call, client, p, credential, ex), VirtualThreads.EXECUTOR);
                    }
                    client.onClientGone(() -> ex.abort(new IOException("client disconnected")));
                    if (!streams) {
                        return CompletableFuture.completedFuture(UpstreamErrors.withoutSecret(
                                wholeCompletion.whole(
                                        call, client, ex, p.mapped(), p.upstreamModel(), p.inputEstimate()),
                                secret));
                    }
                    return streamAsync(call, client, ex, p, () -> quickEstimate)
                            .thenApply(o -> UpstreamErrors.withoutSecret(o, secret));
                })
                .thenCompose(o -> o);
    }

    /** What follows the upstream's headers, on a thread that may block: a 401 is retried once with a refreshed credential. */
    private Outcome answered(
            Call call, ClientSink client, Prepared p, Credential credential, UpstreamHttp.Exchange first) {
        UpstreamHttp.Exchange ex = first;
        String upstreamModel = p.upstreamModel();
        MappedRequest mapped = p.mapped();
        if (ex.status() == 401) {
            ex.close();
            RejectedCredential.Retry retry = RejectedCredential.retry(
                    credentials, credential, c -> post(c, mapped.upstreamStreams(), p.body()), name(), upstreamModel);
            if (retry.failed() != null) {
                return retry.failed();
            }
            credential = retry.credential();
            ex = retry.exchange();
        }
        UpstreamHttp.Exchange current = ex;
        String secret = credential == null ? null : credential.secret();
        client.onClientGone(() -> current.abort(new IOException("client disconnected")));
        try (UpstreamHttp.Exchange exchange = ex) {
            if (exchange.status() >= 400) {
                return UpstreamErrors.httpError(exchange, upstreamModel, secret);
            }
            Outcome o;
            if (mapped.upstreamStreams()) {
                o = call.stream()
                        ? stream(
                                call,
                                client,
                                exchange,
                                mapped,
                                upstreamModel,
                                p.inputEstimate(),
                                p.quickInputEstimate())
                        : aggregate(call, client, exchange, mapped, upstreamModel, p.inputEstimate());
            } else {
                o = wholeCompletion.whole(call, client, exchange, mapped, upstreamModel, p.inputEstimate());
            }
            return UpstreamErrors.withoutSecret(o, secret);
        }
    }

    /** {@link #stream} for a call nothing is held for, translated on the threads that receive the upstream's bytes. */
    private CompletableFuture<Outcome> streamAsync(
            Call call, ClientSink client, UpstreamHttp.Exchange ex, Prepared p, LongSupplier startEstimate) {
        HoldingEventSink sink = new HoldingEventSink(client, HttpFields.EMPTY, false);
        StreamTranslator t = translator(sink, call, p.mapped(), p.inputEstimate(), startEstimate);
        TranslatedStream translated = new TranslatedStream(client, sink, t);
        String upstreamModel = p.upstreamModel();
        return ex.sourceAsync().thenCompose(translated::start).handle((completed, failure) -> {
            if (failure != null) {
                return Failures.readFailed(failure, upstreamModel);
            }
            if (!translated.readToEnd()) {
                ex.abort(new IOException(
                        completed ? "translation ended before the upstream body" : "client disconnected"));
            }
            return completed
                    ? new Outcome.Served(200, upstreamModel, usage(t), sink.error())
                    : new Outcome.ClientGone(upstreamModel);
        });
    }

    /** A completion that does not stream is used whole: received whole, it costs the waiting thread one wake-up. */
    private UpstreamHttp.Exchange post(Credential credential, boolean upstreamStreams, byte[] body)
            throws UpstreamHttp.NoAnswerException, InterruptedException {
        HttpFields headers = upstreamHeaders.headers(credential, upstreamStreams);
        return upstreamStreams
                ? http.post(chatUri, headers, body)
                : http.postForWhole(chatUri, headers, body, MAX_RESPONSE_BODY);
    }

    /**
     * {@code inputInStart}: message_start carries the input estimate (a stream client). An accumulating sink takes the
     * final usage from message_delta, so there the estimate is counted only if the upstream reports no prompt_tokens.
     */
    /** {@code startEstimate}: message_start's input figure, or null for a sink that never shows it (inputInStart false). */
    private StreamTranslator translator(
            AnthropicEventSink sink,
            Call call,
            MappedRequest mapped,
            FutureTask<Long> inputEstimate,
            LongSupplier startEstimate) {
        LongSupplier exact = () -> Math.min(Integer.MAX_VALUE, estimateInput(call, inputEstimate));
        return new StreamTranslator(
                sink,
                call.clientModel(),
                mapped.toolNames(),
                mapped.stopSequences(),
                dialect,
                "msg_" + call.requestId().substring(call.requestId().lastIndexOf('_') + 1),
                startEstimate == null ? exact : startEstimate,
                exact,
                startEstimate != null,
                TokenCounter.shared());
    }

    /**
     * The input figure when the upstream sends no usage, so the final one Claude Code's context meter keeps: a token
     * count of the request, in which images weigh what they cost, not their base64 length (a 1 MB screenshot as body
     * bytes / 4 would read as ~260k tokens and look like a full context window).
     */
    static long estimateInput(Call call, FutureTask<Long> count) {
        count.run(); // counts once: a no-op when it already ran
        try {
            return count.get();
        } catch (ExecutionException | CancellationException e) {
            LOG.debug("input token estimate failed; using body size", e);
            return call.body().length / 4;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return call.body().length / 4;
        }
    }

    private Outcome stream(
            Call call,
            ClientSink client,
            UpstreamHttp.Exchange ex,
            MappedRequest mapped,
            String upstreamModel,
            FutureTask<Long> inputEstimate,
            LongSupplier quickInputEstimate) {
        HoldingEventSink sink = new HoldingEventSink(client, HttpFields.EMPTY, call.holdUntilContent());
        StreamTranslator t = translator(sink, call, mapped, inputEstimate, quickInputEstimate);
        if (!call.holdUntilContent()) {
            t.start();
            sink.flush();
        }
        String[] lastErrorChunk = new String[1];
        BlockingStreamPump.pump(
                ex.body(),
                t,
                data -> {
                    if (data.startsWith("{\"error\"") || data.contains("\"error\":{")) {
                        lastErrorChunk[0] = data;
                    }
                },
                sink::flush);
        if (sink.failedInvisibly()) {
            ex.abort(new IOException("failing over"));
            String raw = lastErrorChunk[0] != null ? lastErrorChunk[0] : sink.errorBeforeContent();
            UpstreamError err = new UpstreamError(200, ex.headerMap(), raw, false);
            byte[] held = sink.pendingBytes();
            return new Outcome.Failed(err, upstreamModel, c -> {
                c.startStream(200, HttpFields.EMPTY);
                c.writeEvents(held, 0, held.length);
            });
        }
        if (!sink.release() || sink.clientGone()) {
            ex.abort(new IOException("client disconnected"));
            return new Outcome.ClientGone(upstreamModel);
        }
        // the stream error (before or after content) goes to the access log; the client already got it as an event
        return new Outcome.Served(200, upstreamModel, usage(t), sink.error());
    }

    private Outcome aggregate(
            Call call,
            ClientSink client,
            UpstreamHttp.Exchange ex,
            MappedRequest mapped,
            String upstreamModel,
            FutureTask<Long> inputEstimate) {
        AnthropicMessageAccumulator acc = new AnthropicMessageAccumulator();
        StreamTranslator t = translator(acc, call, mapped, inputEstimate, null);
        String[] lastErrorChunk = new String[1];
        BlockingStreamPump.pump(
                ex.body(),
                t,
                data -> {
                    if (data.contains("\"error\"")) {
                        lastErrorChunk[0] = data;
                    }
                },
                () -> true);
        Optional<ObjectNode> error = acc.error();
        if (error.isPresent()) {
            ObjectNode e = error.get();
            String type = e.path("error").path("type").asText("api_error");
            int status = UpstreamErrors.statusFor(type);
            byte[] bytes = Json.bytes(e);
            String raw = lastErrorChunk[0] != null ? lastErrorChunk[0] : e.toString();
            return new Outcome.Failed(
                    new UpstreamError(status, ex.headerMap(), raw, false),
                    upstreamModel,
                    c -> c.respond(status, JSON, bytes));
        }
        try {
            client.respond(200, JSON, Json.bytes(acc.message()));
            return new Outcome.Served(200, upstreamModel, usage(t), null);
        } catch (IOException e) {
            return new Outcome.ClientGone(upstreamModel);
        }
    }

    private static Usage usage(StreamTranslator t) {
        return t.usage();
    }

    @Override
    public ObjectNode health() {
        ObjectNode n = Failures.health(name(), kind(), settings.baseUrl().toString(), credentials.status());
        n.put("force_stream", dialect.forceStream());
        return n;
    }

    @Override
    public void close() {
        credentials.close();
    }
}
