package org.anthropicproxy.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.config.ServerSettings;
import org.anthropicproxy.json.ErrorBody;
import org.anthropicproxy.json.InvalidRequestException;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.json.MessagesRequestScan;
import org.anthropicproxy.provider.Call;
import org.anthropicproxy.provider.Outcome;
import org.anthropicproxy.provider.Provider;
import org.anthropicproxy.provider.Router;
import org.anthropicproxy.provider.Usage;
import org.anthropicproxy.provider.VirtualThreads;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes every request. Called on the I/O thread that parsed the request: most requests go on to a virtual thread of
 * their own and block freely there; a message with a content-length has its body read on the I/O threads, and is
 * served there too when its provider answers without blocking ({@link Router#servesWithoutBlocking}), so a
 * passthrough request never waits for a thread to wake up. Everything that may block runs on a virtual thread.
 */
final class ProxyHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyHandler.class);
    private static final Set<String> MESSAGES = Set.of("/v1/messages", "/messages");
    private static final Set<String> COUNT_TOKENS = Set.of("/v1/messages/count_tokens", "/messages/count_tokens");
    private static final Set<String> MODELS = Set.of("/v1/models", "/models");
    private static final Set<String> OPEN = Set.of("/", "/api/hello", "/health");
    private static final String BODY_READ = ProxyHandler.class.getName() + ".bodyRead";
    private static final String KEY_ID = ProxyHandler.class.getName() + ".keyId";
    /** Set while a concurrency permit taken before the body was read waits for the route that serves the request. */
    private static final String PERMIT = ProxyHandler.class.getName() + ".permit";
    /**
     * Set when the body was read only in part (over the limit and beyond what is worth draining before the answer):
     * the stream of the rest, dropped for a while after the answer ({@link #LINGER_NANOS}), or TRUE when the body
     * cannot be read on.
     */
    private static final String BODY_LEFT = ProxyHandler.class.getName() + ".bodyLeft";
    private static final long DISCARD_LIMIT = 1024 * 1024;
    /**
     * How long the rest of a body is read and dropped after an answer that closes the connection, as nginx's
     * lingering close does: a client that sends its whole body before reading (most do) then reads the answer, where
     * a close with its bytes unread would send it a reset. Bounded, so a client sending on and on cannot hold a thread.
     */
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Router router;
    private final ServerSettings settings;
    private final Pinger pinger;
    private final AccessLog accessLog = new AccessLog();
    private final long startedMillis = System.currentTimeMillis();
    private final AdminRoutes admin;
    private final StatusPage page = new StatusPage();
    /** Above this a body read on the I/O thread is checked and sent from a virtual thread. */
    static final long MAX_BODY_SERVED_ON_IO_THREAD = 1024 * 1024;

    private final ClientAuth auth;
    private final Semaphore concurrency;
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean shuttingDown;

    ProxyHandler(Router router, ServerSettings settings, Pinger pinger, AdminRoutes admin, ClientAuth auth) {
        super(InvocationType.NON_BLOCKING);
        this.router = router;
        this.settings = settings;
        this.pinger = pinger;
        this.admin = admin;
        this.auth = auth;
        this.concurrency = new Semaphore(settings.maxConcurrentRequests());
        admin.openStreams(pinger::openStreams);
    }

    void beginShutdown() {
        shuttingDown = true;
    }

    int inFlight() {
        return inFlight.get();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        inFlight.incrementAndGet();
        try {
            dispatch(request, response, callback);
        } catch (Throwable t) {
            // nothing will finish this request: its count and a permit it took go now (HeapBeforeAuthIT)
            inFlight.decrementAndGet();
            releaseHeldPermit(request);
            throw t;
        }
        return true;
    }

    /**
     * A message whose client is let in and under the concurrency limit has its body read here as it arrives; any
     * other request goes to a virtual thread, where a refusal is answered before a byte of the body is read.
     */
    private void dispatch(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        long length = request.getLength();
        if (method.equals("POST") && MESSAGES.contains(path) && length > 0 && length <= settings.maxBodyBytes() && !shuttingDown
                && auth.check(request.getHeaders()) != ClientAuth.Access.DENIED && concurrency.tryAcquire()) {
            request.setAttribute(PERMIT, Boolean.TRUE);
            request.setAttribute(BODY_READ, Boolean.TRUE);
            AsyncBody.read(request, length).whenComplete((body, failure) -> {
                Body read = new Body(body, failure);
                if (failure == null && length <= MAX_BODY_SERVED_ON_IO_THREAD) {
                    serve(request, response, callback, start, method, path, read);
                } else if (failure == null) {
                    // checking a body costs ~1 µs per KB: megabytes of it would hold the selector and every request it reads
                    VirtualThreads.EXECUTOR.execute(() -> serve(request, response, callback, start, method, path, read));
                } else {
                    // answered on a virtual thread: the 400 is written blocking
                    request.setAttribute(BODY_LEFT, Boolean.TRUE);
                    VirtualThreads.EXECUTOR.execute(() -> serve(request, response, callback, start, method, path, read));
                }
            });
        } else {
            VirtualThreads.EXECUTOR.execute(() -> serve(request, response, callback, start, method, path, null));
        }
    }

    /** The concurrency permit taken before the body was read, handed to the route that serves the request. */
    private boolean takeHeldPermit(Request request) {
        return request.removeAttribute(PERMIT) != null;
    }

    private void releaseHeldPermit(Request request) {
        if (takeHeldPermit(request)) {
            concurrency.release();
        }
    }

    /** A body read before routing (on the I/O thread), or why it could not be. */
    private record Body(byte[] bytes, Throwable failure) {
    }

    private void serve(Request request, Response response, Callback callback, long start, String method, String path,
                       Body preRead) {
        String requestId = RequestIds.next();
        JettyClientSink sink = new JettyClientSink(response);
        request.addFailureListener(failure -> sink.clientGone());
        sink.keepAliveIf(() -> keepAliveAfterAnswer(request));
        CompletableFuture<Served> served;
        try {
            served = route(request, sink, requestId, method, path, preRead);
            if (request.getAttribute(BODY_READ) == null) {
                discardBody(request);
            }
            if (request.getAttribute(BODY_LEFT) instanceof InputStream rest) {
                // the answer is out (a route that leaves a body unread answers at once): linger
                drop(rest, Long.MAX_VALUE, LINGER_NANOS);
            }
        } catch (Throwable t) {
            served = CompletableFuture.failedFuture(t);
        }
        // most requests are done here; a message served asynchronously ends on the thread that writes its answer
        served.whenComplete((s, failure) -> {
            releaseHeldPermit(request); // when no route took it (shutting down, a bug)
            if (failure != null) {
                internalError(sink, callback, requestId, method, path, failure);
            } else {
                finish(sink, callback, () -> logServed(s, sink, requestId, method, path, start, request));
            }
        });
    }

    /**
     * Whether the connection stays open after the answer about to be sent. The server closes it when the request's body was
     * not read to its end; the answer must then say {@code connection: close}, or a client that pooled the connection
     * sends its next request into a closed socket ("header parser received no bytes"). A body the route did not read
     * (a 401, a 404, telemetry) is dropped after the answer when it is small enough, before it otherwise: a client still
     * sending would get a reset (its bytes unread at the close) instead of the answer.
     */
    private static boolean keepAliveAfterAnswer(Request request) {
        if (request.getAttribute(BODY_READ) == null) {
            if (expectsContinue(request)) {
                // the client waits for a 100 before sending its body: none comes, the connection closes after the answer
                request.setAttribute(BODY_READ, Boolean.TRUE);
                request.setAttribute(BODY_LEFT, Boolean.TRUE);
                return false;
            }
            long length = request.getLength();
            if (length >= 0 && length <= DISCARD_LIMIT) {
                return true;
            }
            discardBody(request);
        }
        return request.getAttribute(BODY_LEFT) == null;
    }

    private static void discardBody(Request request) {
        request.setAttribute(BODY_READ, Boolean.TRUE);
        if (request.getLength() != 0) {
            InputStream in = Content.Source.asInputStream(request);
            bodyLeftIf(request, !drop(in, DISCARD_LIMIT, Long.MAX_VALUE), in);
        }
    }

    /** A bug, not a client or upstream fault: logged with its trace, answered 500 if nothing was sent yet. */
    private void internalError(JettyClientSink sink, Callback callback, String requestId, String method, String path, Throwable t) {
        LOG.error("request {} {} {} failed inside the proxy", requestId, method, path, t);
        Runnable end = () -> finish(sink, callback, () -> { });
        if (sink.committed()) {
            end.run();
            return;
        }
        sink.respondAsync(500, jsonHeaders(), ErrorBody.bytes("api_error", "internal proxy error (request " + requestId + ")"),
                Callback.from(Callback.NOOP.getInvocationType(), end, x -> end.run()));
    }

    /**
     * Ends the request: an open stream is closed, {@code then} runs (the access log and metrics), then the server is told,
     * which lets the connection go on with its next request: a client that saw its answer and asks the metrics sees
     * this request counted.
     */
    private void finish(JettyClientSink sink, Callback callback, Runnable then) {
        pinger.remove(sink);
        sink.finish(() -> {
            try {
                then.run();
            } finally {
                callback.succeeded();
                inFlight.decrementAndGet();
            }
        });
    }

    private void logServed(Served served, JettyClientSink sink, String requestId, String method, String path, long start,
                           Request request) {
        if (served == null) {
            return;
        }
        long total = (System.nanoTime() - start) / 1000;
        long ttfb = sink.firstByteNanos() == 0 ? -1 : (sink.firstByteNanos() - start) / 1000;
        AccessLog.Entry entry = new AccessLog.Entry(requestId, method, path, served.clientModel, served.provider,
                served.upstreamModel, sink.status(), sink.streaming(), ttfb, total, served.usage,
                served.failovers, served.note, (String) request.getAttribute(KEY_ID));
        accessLog.log(entry);
        admin.served(entry);
    }

    private record Served(String clientModel, String provider, String upstreamModel, Usage usage, int failovers, String note) {
        static Served plain() {
            return new Served(null, null, null, null, 0, null);
        }

        static Served note(String note) {
            return new Served(null, null, null, null, 0, note);
        }
    }

    private CompletableFuture<Served> route(Request request, JettyClientSink sink, String requestId, String method, String path,
                                            Body preRead) throws IOException {
        if (shuttingDown) {
            HttpFields.Mutable h = jsonHeaders();
            h.put("connection", "close");
            sink.respond(503, h, ErrorBody.bytes("overloaded_error", "the proxy is shutting down; retry the request"));
            return done(Served.note("shutting down"));
        }
        if (OPEN.contains(path)) {
            return done(open(sink, method, path, request.getHeaders()));
        }
        if (StatusPage.handles(path)) {
            page.serve(sink, method, path);
            return done(Served.plain());
        }
        AdminRoutes.Route adminRoute = admin.find(path);
        ClientAuth.Identity identity = auth.identify(request.getHeaders());
        ClientAuth.Access access = identity.access();
        if (identity.keyId() != null) {
            request.setAttribute(KEY_ID, identity.keyId());
        }
        if (access == ClientAuth.Access.DENIED) {
            error(sink, 401, "authentication_error", ClientAuth.presentedKey(request.getHeaders()) == null
                    ? "missing API key: send it as x-api-key or Authorization: Bearer"
                    : "invalid x-api-key");
            return done(Served.note("unauthenticated"));
        }
        if (adminRoute != null) {
            if (access != ClientAuth.Access.ADMIN) {
                error(sink, 401, "authentication_error", path + " needs an admin key");
                return done(Served.note("not admin"));
            }
            if (!adminRoute.method().equals(method)) {
                return done(wrongMethod(sink, method, path, adminRoute.method()));
            }
            AdminRoutes.Answer a = adminRoute.handler().handle(request);
            sink.respond(a.status(), HttpFields.build().put("content-type", a.contentType()), a.body());
            return done(Served.plain());
        }
        if (MESSAGES.contains(path) || COUNT_TOKENS.contains(path)) {
            if (!takeHeldPermit(request) && !concurrency.tryAcquire()) {
                error(sink, 529, "overloaded_error", "the proxy is at its limit of " + settings.maxConcurrentRequests()
                        + " concurrent requests; retry shortly");
                return done(Served.note("over concurrency limit"));
            }
            CompletableFuture<Served> served;
            try {
                served = method.equals("POST")
                        ? messages(request, sink, requestId, path, COUNT_TOKENS.contains(path), preRead)
                        : done(wrongMethod(sink, method, path, "POST"));
            } catch (IOException | RuntimeException | Error e) {
                concurrency.release();
                throw e;
            }
            return served.whenComplete((s, failure) -> concurrency.release());
        }
        return done(api(sink, method, path));
    }

    /** Probes and health: answered without a key so load balancers and Claude Code's HEAD / work. */
    private Served open(JettyClientSink sink, String method, String path, HttpFields headers) throws IOException {
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

    private Served api(JettyClientSink sink, String method, String path) throws IOException {
        if (MODELS.contains(path)) {
            return method.equals("GET") ? json(sink, 200, models()) : wrongMethod(sink, method, path, "GET");
        }
        if (path.startsWith("/v1/models/") || path.startsWith("/models/")) {
            return method.equals("GET") ? model(sink, path.substring(path.lastIndexOf('/') + 1)) : wrongMethod(sink, method, path, "GET");
        }
        if (path.equals("/api/event_logging/batch")) {
            // Claude Code telemetry: acknowledged and dropped, never forwarded upstream
            return method.equals("POST") ? json(sink, 200, Json.object().put("success", true)) : wrongMethod(sink, method, path, "POST");
        }
        error(sink, 404, "not_found_error", "Not found: " + method + " " + path);
        return Served.note("no such route");
    }

    private CompletableFuture<Served> messages(Request request, JettyClientSink sink, String requestId, String path,
                                               boolean countTokens, Body preRead) throws IOException {
        byte[] body;
        if (preRead == null) {
            body = readBody(request, sink);
        } else if (preRead.failure() == null) {
            body = preRead.bytes();
        } else {
            body = null;
            error(sink, 400, "invalid_request_error", "request body could not be read: " + preRead.failure().getClass().getSimpleName());
        }
        if (body == null) {
            return done(Served.note("body too large or unreadable"));
        }
        MessagesRequestScan scan;
        try {
            scan = MessagesRequestScan.scan(body, !countTokens);
        } catch (InvalidRequestException e) {
            error(sink, 400, "invalid_request_error", e.getMessage());
            return done(Served.note(e.getMessage()));
        }
        Call call = new Call(requestId, path, request.getHttpURI().getQuery(), request.getHeaders(), body, scan, false);
        if (scan.stream() && !countTokens) {
            pinger.add(sink);
        }
        CompletableFuture<Router.Result> routed;
        if (countTokens) {
            routed = CompletableFuture.completedFuture(router.countTokens(call, sink));
        } else if (Thread.currentThread().isVirtual() || router.servesWithoutBlocking(call)) {
            routed = router.messagesAsync(call, sink);
        } else {
            // read on an I/O thread, served by a provider that may block (a refresh due, a chain, a shared store)
            routed = CompletableFuture.supplyAsync(() -> router.messagesAsync(call, sink), VirtualThreads.EXECUTOR)
                    .thenCompose(r -> r);
        }
        return routed.thenApply(r -> switch (r.outcome()) {
            case Outcome.Served s -> new Served(scan.model(), r.provider(), s.upstreamModel(), s.usage(), r.failovers(), s.streamError());
            case Outcome.Failed f -> new Served(scan.model(), r.provider(), f.upstreamModel(), null, r.failovers(), null);
            case Outcome.ClientGone g -> new Served(scan.model(), r.provider(), g.upstreamModel(), null, r.failovers(), "client disconnected");
        });
    }

    private static CompletableFuture<Served> done(Served served) {
        return CompletableFuture.completedFuture(served);
    }

    /** The body, or null after answering 413 (over the limit) or 400 (unreadable). */
    private byte[] readBody(Request request, JettyClientSink sink) throws IOException {
        request.setAttribute(BODY_READ, Boolean.TRUE);
        long max = settings.maxBodyBytes();
        long declared = request.getLength();
        // never closed: closing before the end of the content fails the request, and the answer with it
        InputStream in = Content.Source.asInputStream(request);
        if (declared > max) {
            if (expectsContinue(request)) {
                request.setAttribute(BODY_LEFT, Boolean.TRUE); // refused before it is sent: no 100, no upload
            } else {
                bodyLeftIf(request, !drop(in, Math.min(declared, 2 * max), Long.MAX_VALUE), in);
            }
            error(sink, 413, "request_too_large", "Request body is " + declared + " bytes; the limit is " + max + " bytes");
            return null;
        }
        byte[] body;
        try {
            if (declared >= 0) {
                // collected as it arrives, never allocated from the declared length alone (HeapBeforeAuthIT)
                body = in.readNBytes((int) declared);
                if (body.length < declared) {
                    throw new EOFException();
                }
                // and the end of the content: a request whose end was not read makes the server close the connection
                // after the answer, which a client reusing it sees as a connection closed without an answer
                in.read();
            } else {
                body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            }
        } catch (IOException e) {
            // early EOF, broken chunked encoding: the client's fault, not an internal error
            request.setAttribute(BODY_LEFT, Boolean.TRUE);
            error(sink, 400, "invalid_request_error", "request body could not be read: " + e.getClass().getSimpleName());
            return null;
        }
        if (body.length > max) {
            bodyLeftIf(request, !drop(in, max, Long.MAX_VALUE), in);
            error(sink, 413, "request_too_large", "Request body exceeds the limit of " + max + " bytes");
            return null;
        }
        return body;
    }

    private static boolean expectsContinue(Request request) {
        String expect = request.getHeaders().get("expect");
        return expect != null && expect.equalsIgnoreCase("100-continue");
    }

    private static void bodyLeftIf(Request request, boolean left, InputStream rest) {
        if (left) {
            request.setAttribute(BODY_LEFT, rest);
        }
    }

    /**
     * Reads and drops body bytes, up to {@code limit} of them and for up to {@code nanos}. Before an answer that does
     * not need the body: a client still sending would otherwise get a reset (the connection closed with its bytes
     * unread) instead of the answer. After an answer on a connection that will close: see {@link #LINGER_NANOS}. True
     * when the end of the body was reached; false beyond either bound, or when the client stopped sending or sent a
     * broken body (the answer goes out regardless, on a connection that cannot be reused; a client that stops
     * sending is let go by the connection's idle timeout, which fails the read).
     */
    private static boolean drop(InputStream in, long limit, long nanos) {
        byte[] buf = new byte[64 * 1024];
        long left = limit;
        long start = System.nanoTime();
        try {
            int n;
            // one byte more than is left, to see the limit passed
            while ((n = in.read(buf, 0, (int) Math.min(buf.length - 1, left) + 1)) >= 0) {
                left -= n;
                if (left < 0 || System.nanoTime() - start > nanos) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
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
        error(sink, 404, "not_found_error", "model: " + id + " is not served by this proxy");
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
        h.put("in_flight", inFlight.get()); // this request included
        admin.decorateHealth(h);
        return h;
    }

    private static Served json(JettyClientSink sink, int status, ObjectNode body) throws IOException {
        sink.respond(status, jsonHeaders(), Json.bytes(body));
        return Served.plain();
    }

    private static Served wrongMethod(JettyClientSink sink, String method, String path, String allowed) throws IOException {
        HttpFields.Mutable h = jsonHeaders();
        h.put("allow", allowed);
        h.put(ErrorBody.SHOULD_RETRY, "false");
        sink.respond(405, h, ErrorBody.bytes("not_found_error", "Method " + method + " not allowed on " + path + " (use " + allowed + ")"));
        return Served.note("method not allowed");
    }

    static void error(JettyClientSink sink, int status, String type, String message) throws IOException {
        HttpFields.Mutable h = jsonHeaders();
        if (ErrorBody.retryCannotFix(status)) {
            // the Anthropic SDKs and Claude Code retry 4xx answers (401 included) unless told not to (ShouldRetryIT)
            h.put(ErrorBody.SHOULD_RETRY, "false");
        }
        sink.respond(status, h, ErrorBody.bytes(type, message));
    }

    static HttpFields.Mutable jsonHeaders() {
        return HttpFields.build().put("content-type", "application/json");
    }
}
