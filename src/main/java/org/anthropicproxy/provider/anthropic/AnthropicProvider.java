package org.anthropicproxy.provider.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.anthropicproxy.config.ProviderSettings;
import org.anthropicproxy.credentials.Credential;
import org.anthropicproxy.credentials.CredentialSource;
import org.anthropicproxy.credentials.CredentialUnavailableException;
import org.anthropicproxy.json.BodySplice;
import org.anthropicproxy.json.ErrorBody;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.json.MessagesRequestScan;
import org.anthropicproxy.provider.BoundedMemo;
import org.anthropicproxy.provider.Call;
import org.anthropicproxy.provider.ClientSink;
import org.anthropicproxy.provider.Failures;
import org.anthropicproxy.provider.HeaderPolicy;
import org.anthropicproxy.provider.ModelMapper;
import org.anthropicproxy.provider.Outcome;
import org.anthropicproxy.provider.Provider;
import org.anthropicproxy.provider.RejectedCredential;
import org.anthropicproxy.provider.SecretRedactor;
import org.anthropicproxy.provider.UpstreamError;
import org.anthropicproxy.provider.UpstreamHttp;
import org.anthropicproxy.provider.Usage;
import org.anthropicproxy.provider.VirtualThreads;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * Anthropic-format upstream: the request goes up with only {@code model} rewritten (and, if configured, the billing
 * header line removed from the system prompt); the answer comes back as the upstream sent it.
 */
public final class AnthropicProvider implements Provider {

    private static final int MAX_ERROR_BODY = 1024 * 1024;
    private static final int MAX_RESPONSE_BODY = 64 * 1024 * 1024;

    private final ProviderSettings settings;
    private final ModelMapper models;
    private final CredentialSource credentials;
    private final UpstreamHttp http;
    // Claude Code sends the same few paths (with ?beta=true) and models all day; parsing a URI and encoding a JSON
    // string each time cost more than the splice. Bounded: unusual queries or models are built, not remembered.
    private final BoundedMemo<String, URI> uris = new BoundedMemo<>(64);
    private final BoundedMemo<String, byte[]> modelLiterals = new BoundedMemo<>(64);

    public AnthropicProvider(ProviderSettings settings, CredentialSource credentials, UpstreamHttp http) {
        this.settings = settings;
        this.models = new ModelMapper(settings.models());
        this.credentials = credentials;
        this.http = http;
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public String kind() {
        return ProviderSettings.ANTHROPIC;
    }

    @Override
    public boolean answersWithoutBlocking(Call call) {
        return credentials.currentAtHand();
    }

    @Override
    public ModelMapper models() {
        return models;
    }

    @Override
    public Outcome messages(Call call, ClientSink client) {
        return forward(call, client, settings.messagesPath(), call.stream());
    }

    @Override
    public Outcome countTokens(Call call, ClientSink client) {
        return forward(call, client, settings.countTokensPath(), false);
    }

    private Outcome forward(Call call, ClientSink client, String path, boolean stream) {
        String upstreamModel = models.map(call.clientModel());
        byte[] body = rewrite(call, upstreamModel);
        URI uri = uri(call, path);
        Credential credential;
        try {
            credential = credentials.current();
        } catch (CredentialUnavailableException e) {
            return Failures.noCredential(name(), e, upstreamModel);
        }
        UpstreamHttp.Exchange ex;
        // a client gone before the answer ends the wait, which gives the upstream request up (ClientDepartureIT)
        client.onClientGone(Thread.currentThread()::interrupt);
        try {
            ex = post(uri, headers(call, credential), body, stream);
        } catch (UpstreamHttp.NoAnswerException e) {
            return Failures.noAnswer(e, upstreamModel);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome.ClientGone(upstreamModel);
        } finally {
            client.onClientGone(() -> {});
        }
        return answered(call, client, uri, body, stream, upstreamModel, credential, ex);
    }

    /**
     * The usual answers (a stream, a JSON message) are handled on the I/O thread that receives them and the client
     * gets them without a thread hand-off; anything else (a 401 to retry with a refreshed credential, an error
     * body, an unusual content type) goes on to {@link #answered} on a virtual thread.
     */
    @Override
    @SuppressWarnings("FutureReturnValueIgnored") // the nested future is composed at once (thenCompose)
    public CompletableFuture<Outcome> messagesAsync(Call call, ClientSink client) {
        boolean stream = call.stream();
        String upstreamModel = models.map(call.clientModel());
        byte[] body = rewrite(call, upstreamModel);
        URI uri = uri(call, settings.messagesPath());
        Credential credential;
        try {
            credential = credentials.current();
        } catch (CredentialUnavailableException e) {
            return CompletableFuture.completedFuture(Failures.noCredential(name(), e, upstreamModel));
        }
        HttpFields headers = headers(call, credential);
        CompletableFuture<UpstreamHttp.Exchange> sent = stream
                ? http.postAsync(uri, headers, body)
                : http.postForWholeAsync(uri, headers, body, MAX_RESPONSE_BODY);
        client.onClientGone(() -> sent.cancel(false)); // before the answer: the upstream request is given up
        return sent.<CompletableFuture<Outcome>>handle((ex, failure) -> {
                    if (failure instanceof java.util.concurrent.CancellationException) {
                        return CompletableFuture.<Outcome>completedFuture(new Outcome.ClientGone(upstreamModel));
                    }
                    if (failure != null) {
                        return CompletableFuture.<Outcome>completedFuture(Failures.notAnswered(failure, upstreamModel));
                    }
                    String contentType = ex.contentType();
                    if (ex.status() == 200 && stream && contentType.startsWith("text/event-stream")) {
                        return relayAsync(call, client, ex, upstreamModel, secretOf(credential));
                    }
                    if (ex.status() == 200 && !stream) {
                        return wholeAsync(client, ex, upstreamModel);
                    }
                    return CompletableFuture.supplyAsync(
                            () -> answered(call, client, uri, body, stream, upstreamModel, credential, ex),
                            VirtualThreads.EXECUTOR);
                })
                .thenCompose(outcome -> outcome);
    }

    /** What follows the upstream's headers, on a thread that may block. */
    private Outcome answered(
            Call call,
            ClientSink client,
            URI uri,
            byte[] body,
            boolean stream,
            String upstreamModel,
            Credential credential,
            UpstreamHttp.Exchange first) {
        UpstreamHttp.Exchange ex = first;
        if (ex.status() == 401) {
            ex.close();
            RejectedCredential.Retry retry = RejectedCredential.retry(
                    credentials, credential, c -> post(uri, headers(call, c), body, stream), name(), upstreamModel);
            if (retry.failed() != null) {
                return retry.failed();
            }
            credential = retry.credential();
            ex = retry.exchange();
        }
        UpstreamHttp.Exchange current = ex;
        String secret = secretOf(credential);
        client.onClientGone(() -> current.abort(new IOException("client disconnected")));
        try (UpstreamHttp.Exchange exchange = ex) {
            if (exchange.status() >= 400) {
                return httpError(exchange, upstreamModel, secret);
            }
            if (stream && exchange.contentType().startsWith("text/event-stream")) {
                return relay(call, client, exchange, upstreamModel, secret);
            }
            return whole(client, exchange, upstreamModel);
        }
    }

    private URI uri(Call call, String path) {
        return uris.computeIfAbsent(
                path + (call.query() == null || call.query().isEmpty() ? "" : "?" + call.query()), settings::resolve);
    }

    private static String secretOf(Credential credential) {
        return credential == null ? null : credential.secret();
    }

    /** A non-stream answer is used whole: received whole, it costs the waiting thread one wake-up. */
    private UpstreamHttp.Exchange post(URI uri, HttpFields headers, byte[] body, boolean stream)
            throws UpstreamHttp.NoAnswerException, InterruptedException {
        return stream ? http.post(uri, headers, body) : http.postForWhole(uri, headers, body, MAX_RESPONSE_BODY);
    }

    private Outcome relay(Call call, ClientSink client, UpstreamHttp.Exchange ex, String upstreamModel, String secret) {
        HttpFields headers = HeaderPolicy.downstream(ex.headers());
        StreamRelay relay = new StreamRelay(client, headers, call.holdUntilContent());
        StreamRelay.Result result;
        try {
            result = relay.start(ex.source()).get();
        } catch (IOException | ExecutionException e) {
            return Failures.readFailed(e, upstreamModel); // the body failed before it began: nothing was sent
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ex.abort(e);
            relay.done().join(); // the aborted upstream ends the relay: no write may follow the end of the request
            return new Outcome.ClientGone(upstreamModel);
        }
        return relayed(relay, result, ex, headers, upstreamModel, secret);
    }

    private CompletableFuture<Outcome> relayAsync(
            Call call, ClientSink client, UpstreamHttp.Exchange ex, String upstreamModel, String secret) {
        client.onClientGone(() -> ex.abort(new IOException("client disconnected")));
        HttpFields headers = HeaderPolicy.downstream(ex.headers());
        StreamRelay relay = new StreamRelay(client, headers, call.holdUntilContent());
        return ex.sourceAsync()
                .thenCompose(relay::start)
                .handle((result, failure) -> failure != null
                        ? Failures.readFailed(failure, upstreamModel)
                        : relayed(relay, result, ex, headers, upstreamModel, secret));
    }

    private static Outcome relayed(
            StreamRelay relay,
            StreamRelay.Result result,
            UpstreamHttp.Exchange ex,
            HttpFields headers,
            String upstreamModel,
            String secret) {
        switch (result) {
            case COMPLETED:
                return new Outcome.Served(200, upstreamModel, relay.usage(), null);
            case FAILED_BEFORE_CONTENT: {
                ex.abort(new IOException("failing over"));
                byte[] held = relay.heldBytes();
                UpstreamError err = new UpstreamError(
                        200, ex.headerMap(), SecretRedactor.withoutSecret(relay.errorJson(), secret), false);
                return new Outcome.Failed(err, upstreamModel, c -> {
                    c.startStream(200, headers);
                    c.writeEvents(held, 0, held.length);
                });
            }
            case CLIENT_GONE:
                ex.abort(new IOException("client disconnected"));
                return new Outcome.ClientGone(upstreamModel);
            default:
                ex.abort(new IOException("stream ended"));
                return new Outcome.Served(200, upstreamModel, relay.usage(), relay.errorJson());
        }
    }

    /** A non-stream answer as the client gets it. */
    private record Reply(int status, HttpFields headers, byte[] body, Usage usage) {}

    private Outcome whole(ClientSink client, UpstreamHttp.Exchange ex, String upstreamModel) {
        Object answer = wholeAnswer(ex, upstreamModel);
        if (!(answer instanceof Reply r)) {
            return (Outcome) answer;
        }
        try {
            client.respond(r.status(), r.headers(), r.body());
            return new Outcome.Served(r.status(), upstreamModel, r.usage(), null);
        } catch (IOException e) {
            return new Outcome.ClientGone(upstreamModel);
        }
    }

    private CompletableFuture<Outcome> wholeAsync(ClientSink client, UpstreamHttp.Exchange ex, String upstreamModel) {
        Object answer = wholeAnswer(ex, upstreamModel);
        if (!(answer instanceof Reply r)) {
            return CompletableFuture.completedFuture((Outcome) answer);
        }
        CompletableFuture<Outcome> written = new CompletableFuture<>();
        client.respondAsync(
                r.status(),
                r.headers(),
                r.body(),
                Callback.from(
                        Invocable.InvocationType.NON_BLOCKING,
                        () -> written.complete(new Outcome.Served(r.status(), upstreamModel, r.usage(), null)),
                        failure -> written.complete(new Outcome.ClientGone(upstreamModel))));
        return written;
    }

    /** The {@link Reply} for a success answer, or the {@link Outcome.Failed} it amounts to. */
    private Object wholeAnswer(UpstreamHttp.Exchange ex, String upstreamModel) {
        byte[] body;
        try {
            body = ex.readBody(MAX_RESPONSE_BODY);
        } catch (IOException e) {
            return Failures.readFailed(e, upstreamModel);
        }
        HttpFields.Mutable headers = HeaderPolicy.downstream(ex.headers());
        boolean json = ex.contentType().contains("json");
        Usage usage = null;
        // one streaming pass checks the body is an object and reads usage; only an envelope pays for a tree
        UsageJson.Answer read = json ? UsageJson.answer(body) : null;
        if (read != null && read.envelope() && settings.unwrapEnvelope()) {
            JsonNode root = jsonObject(body);
            if (root != null) {
                if ("success".equals(root.path("type").asText())
                        && root.path("data").isObject()) {
                    root = root.get("data");
                    body = Json.bytes(root);
                }
                usage = usageOf(root.path("usage"));
            }
        } else if (read != null) {
            usage = read.usage();
        }
        if (usage == null) {
            // a success status with an HTML or garbage body is no answer a client can use
            String m = "upstream answered HTTP " + ex.status() + " with a non-JSON body ("
                    + describeBody(ex.contentType(), body) + ")";
            return new Outcome.Failed(
                    UpstreamError.noAnswer(m),
                    upstreamModel,
                    c -> c.respond(502, Failures.JSON, ErrorBody.bytes("api_error", m)));
        }
        return new Reply(ex.status(), headers, body, usage);
    }

    /** The upstream's error as it sent it, except that the credential we sent is never echoed to logs or client. */
    private Outcome httpError(UpstreamHttp.Exchange ex, String upstreamModel, String secret) {
        byte[] body;
        try {
            body = ex.readBody(MAX_ERROR_BODY);
        } catch (IOException e) {
            body = new byte[0];
        }
        int status = ex.status();
        HttpFields.Mutable headers = HeaderPolicy.downstream(ex.headers());
        String text = new String(body, StandardCharsets.UTF_8);
        String clean = SecretRedactor.withoutSecret(text, secret);
        if (!clean.equals(text)) {
            body = clean.getBytes(StandardCharsets.UTF_8);
        }
        if (!isJsonObject(ex.contentType(), body)) {
            // an HTML page from a gateway in front of the upstream, plain text, nothing: clients parse error bodies
            // as Anthropic JSON, so keep the status and say what came instead
            headers.put("content-type", "application/json");
            body = ErrorBody.bytes(
                    status,
                    "upstream answered HTTP " + status + " with a non-JSON body ("
                            + describeBody(ex.contentType(), body) + ")");
        }
        byte[] replay = body;
        UpstreamError err = new UpstreamError(status, ex.headerMap(), clean, false);
        return new Outcome.Failed(err, upstreamModel, c -> c.respond(status, headers, replay));
    }

    private static boolean isJsonObject(String contentType, byte[] body) {
        return contentType.contains("json") && jsonObject(body) != null;
    }

    /** The body as a tree when it is a JSON object, else null. */
    private static JsonNode jsonObject(byte[] body) {
        try {
            JsonNode root = Json.MAPPER.readTree(body);
            return root != null && root.isObject() ? root : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Content type and the start of the body, for messages: short, one line, credentials redacted. */
    private static String describeBody(String contentType, byte[] body) {
        String text = new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8)
                .replaceAll("<[^>]*>", " ")
                .replaceAll("\\s+", " ")
                .strip();
        if (text.length() > 120) {
            text = text.substring(0, 120) + "…";
        }
        String type = contentType.isEmpty() ? "no content type" : contentType;
        return type + (text.isEmpty() ? ", empty" : ": " + SecretRedactor.redact(text));
    }

    private byte[] rewrite(Call call, String upstreamModel) {
        byte[] body = call.body();
        MessagesRequestScan scan = call.scan();
        byte[] system = null;
        if (settings.stripBillingHeader() && scan.systemSpan() != null) {
            system = BillingHeaderFilter.filter(
                    body, scan.systemSpan().start(), scan.systemSpan().end());
        }
        boolean modelChanged = !upstreamModel.equals(call.clientModel());
        if (system != null && modelChanged) {
            return BodySplice.replace(
                    body, scan.modelSpan(), BodySplice.jsonString(upstreamModel), scan.systemSpan(), system);
        }
        if (system != null) {
            return BodySplice.replace(body, scan.systemSpan(), system);
        }
        if (modelChanged) {
            return BodySplice.replace(
                    body, scan.modelSpan(), modelLiterals.computeIfAbsent(upstreamModel, BodySplice::jsonString));
        }
        return body;
    }

    private HttpFields headers(Call call, Credential credential) {
        HttpFields.Mutable h = HeaderPolicy.upstream(call.headers(), settings.headers());
        if (!h.contains("anthropic-version")) {
            h.put("anthropic-version", "2023-06-01");
        }
        if (!h.contains("content-type")) {
            h.put("content-type", "application/json");
        }
        if (credential != null
                && credential.secret() != null
                && !credential.secret().isEmpty()) {
            h.put("x-api-key", credential.secret());
        }
        return h;
    }

    static Usage usageOf(JsonNode u) {
        if (!u.isObject()) {
            return Usage.NONE;
        }
        return new Usage(
                u.path("input_tokens").asLong(),
                u.path("output_tokens").asLong(),
                u.path("cache_read_input_tokens").asLong(),
                u.path("cache_creation_input_tokens").asLong());
    }

    @Override
    public ObjectNode health() {
        return Failures.health(name(), kind(), settings.baseUrl().toString(), credentials.status());
    }

    @Override
    public void close() {
        credentials.close();
    }
}
