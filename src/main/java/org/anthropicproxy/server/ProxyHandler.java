package org.anthropicproxy.server;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.anthropicproxy.config.ServerSettings;
import org.anthropicproxy.json.ErrorBody;
import org.anthropicproxy.json.InvalidRequestException;
import org.anthropicproxy.json.MessagesRequestScan;
import org.anthropicproxy.provider.Call;
import org.anthropicproxy.provider.Outcome;
import org.anthropicproxy.provider.Router;
import org.anthropicproxy.provider.VirtualThreads;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
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
    private static final String KEY_ID = ProxyHandler.class.getName() + ".keyId";
    /** Set while a concurrency permit taken before the body was read waits for the route that serves the request. */
    private static final String PERMIT = ProxyHandler.class.getName() + ".permit";

    private final Router router;
    private final ServerSettings settings;
    private final Pinger pinger;
    private final AccessLog accessLog = new AccessLog();
    private final AdminRoutes admin;
    private final StatusPage page = new StatusPage();
    /** Above this a body read on the I/O thread is checked and sent from a virtual thread. */
    static final long MAX_BODY_SERVED_ON_IO_THREAD = 1024 * 1024;

    private final ClientAuth auth;
    private final Semaphore concurrency;
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private final FixedRoutes fixed;
    private volatile boolean shuttingDown;

    ProxyHandler(Router router, ServerSettings settings, Pinger pinger, AdminRoutes admin, ClientAuth auth) {
        super(InvocationType.NON_BLOCKING);
        this.router = router;
        this.settings = settings;
        this.pinger = pinger;
        this.admin = admin;
        this.auth = auth;
        this.concurrency = new Semaphore(settings.maxConcurrentRequests());
        this.fixed = new FixedRoutes(router, pinger, admin, inFlight::get);
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
    @SuppressWarnings("FutureReturnValueIgnored") // fire and forget: the body's outcome is handled in its own callback
    private void dispatch(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        long length = request.getLength();
        if (method.equals("POST")
                && MESSAGES.contains(path)
                && length > 0
                && length <= settings.maxBodyBytes()
                && !shuttingDown
                && auth.check(request.getHeaders()) != ClientAuth.Access.DENIED
                && concurrency.tryAcquire()) {
            request.setAttribute(PERMIT, Boolean.TRUE);
            RequestBody.markRead(request);
            AsyncBody.read(request, length).whenComplete((body, failure) -> {
                Body read = new Body(body, failure);
                if (failure == null && length <= MAX_BODY_SERVED_ON_IO_THREAD) {
                    serve(request, response, callback, start, method, path, read);
                } else if (failure == null) {
                    // checking a body costs ~1 µs per KB: megabytes of it would hold the selector and every request it
                    // reads
                    VirtualThreads.EXECUTOR.execute(
                            () -> serve(request, response, callback, start, method, path, read));
                } else {
                    // answered on a virtual thread: the 400 is written blocking
                    RequestBody.markUnreadable(request);
                    VirtualThreads.EXECUTOR.execute(
                            () -> serve(request, response, callback, start, method, path, read));
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
    private record Body(byte[] bytes, Throwable failure) {}

    @SuppressWarnings("FutureReturnValueIgnored") // fire and forget: the request ends in the callback, on every outcome
    private void serve(
            Request request,
            Response response,
            Callback callback,
            long start,
            String method,
            String path,
            Body preRead) {
        String requestId = RequestIds.next();
        JettyClientSink sink = new JettyClientSink(response);
        request.addFailureListener(failure -> sink.clientGone());
        sink.keepAliveIf(() -> RequestBody.keepAliveAfterAnswer(request));
        CompletableFuture<Served> served;
        try {
            served = route(request, sink, requestId, method, path, preRead);
            RequestBody.afterRoute(request);
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

    /** A bug, not a client or upstream fault: logged with its trace, answered 500 if nothing was sent yet. */
    private void internalError(
            JettyClientSink sink, Callback callback, String requestId, String method, String path, Throwable t) {
        LOG.error("request {} {} {} failed inside the proxy", requestId, method, path, t);
        Runnable end = () -> finish(sink, callback, () -> {});
        if (sink.committed()) {
            end.run();
            return;
        }
        sink.respondAsync(
                500,
                Answers.jsonHeaders(),
                ErrorBody.bytes("api_error", "internal proxy error (request " + requestId + ")"),
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

    private void logServed(
            Served served,
            JettyClientSink sink,
            String requestId,
            String method,
            String path,
            long start,
            Request request) {
        if (served == null) {
            return;
        }
        long total = (System.nanoTime() - start) / 1000;
        long ttfb = sink.firstByteNanos() == 0 ? -1 : (sink.firstByteNanos() - start) / 1000;
        AccessLog.Entry entry = new AccessLog.Entry(
                requestId,
                method,
                path,
                served.clientModel(),
                served.provider(),
                served.upstreamModel(),
                sink.status(),
                sink.streaming(),
                ttfb,
                total,
                served.usage(),
                served.failovers(),
                served.note(),
                (String) request.getAttribute(KEY_ID));
        accessLog.log(entry);
        admin.served(entry);
    }

    private CompletableFuture<Served> route(
            Request request, JettyClientSink sink, String requestId, String method, String path, Body preRead)
            throws IOException {
        if (shuttingDown) {
            HttpFields.Mutable h = Answers.jsonHeaders();
            h.put("connection", "close");
            sink.respond(503, h, ErrorBody.bytes("overloaded_error", "the proxy is shutting down; retry the request"));
            return done(Served.note("shutting down"));
        }
        if (FixedRoutes.isOpen(path)) {
            return done(fixed.open(sink, method, path, request.getHeaders()));
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
            Answers.error(
                    sink,
                    401,
                    "authentication_error",
                    ClientAuth.presentedKey(request.getHeaders()) == null
                            ? "missing API key: send it as x-api-key or Authorization: Bearer"
                            : "invalid x-api-key");
            return done(Served.note("unauthenticated"));
        }
        if (adminRoute != null) {
            if (access != ClientAuth.Access.ADMIN) {
                Answers.error(sink, 401, "authentication_error", path + " needs an admin key");
                return done(Served.note("not admin"));
            }
            if (!adminRoute.method().equals(method)) {
                return done(Answers.wrongMethod(sink, method, path, adminRoute.method()));
            }
            AdminRoutes.Answer a = adminRoute.handler().handle(request);
            sink.respond(a.status(), HttpFields.build().put("content-type", a.contentType()), a.body());
            return done(Served.plain());
        }
        if (MESSAGES.contains(path) || COUNT_TOKENS.contains(path)) {
            if (!takeHeldPermit(request) && !concurrency.tryAcquire()) {
                Answers.error(
                        sink,
                        529,
                        "overloaded_error",
                        "the proxy is at its limit of " + settings.maxConcurrentRequests()
                                + " concurrent requests; retry shortly");
                return done(Served.note("over concurrency limit"));
            }
            CompletableFuture<Served> served;
            try {
                served = method.equals("POST")
                        ? messages(request, sink, requestId, path, COUNT_TOKENS.contains(path), preRead)
                        : done(Answers.wrongMethod(sink, method, path, "POST"));
            } catch (IOException | RuntimeException | Error e) {
                concurrency.release();
                throw e;
            }
            return served.whenComplete((s, failure) -> concurrency.release());
        }
        return done(fixed.api(sink, method, path));
    }

    private CompletableFuture<Served> messages(
            Request request, JettyClientSink sink, String requestId, String path, boolean countTokens, Body preRead)
            throws IOException {
        byte[] body;
        if (preRead == null) {
            body = RequestBody.read(request, sink, settings.maxBodyBytes());
        } else if (preRead.failure() == null) {
            body = preRead.bytes();
        } else {
            body = null;
            Answers.error(
                    sink,
                    400,
                    "invalid_request_error",
                    "request body could not be read: "
                            + preRead.failure().getClass().getSimpleName());
        }
        if (body == null) {
            return done(Served.note("body too large or unreadable"));
        }
        MessagesRequestScan scan;
        try {
            scan = MessagesRequestScan.scan(body, !countTokens);
        } catch (InvalidRequestException e) {
            Answers.error(sink, 400, "invalid_request_error", e.getMessage());
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
            routed = CompletableFuture.completedFuture(call)
                    .thenComposeAsync(c -> router.messagesAsync(c, sink), VirtualThreads.EXECUTOR);
        }
        return routed.thenApply(r -> switch (r.outcome()) {
            case Outcome.Served s ->
                new Served(scan.model(), r.provider(), s.upstreamModel(), s.usage(), r.failovers(), s.streamError());
            case Outcome.Failed f ->
                new Served(scan.model(), r.provider(), f.upstreamModel(), null, r.failovers(), null);
            case Outcome.ClientGone g ->
                new Served(scan.model(), r.provider(), g.upstreamModel(), null, r.failovers(), "client disconnected");
        });
    }

    private static CompletableFuture<Served> done(Served served) {
        return CompletableFuture.completedFuture(served);
    }
}
