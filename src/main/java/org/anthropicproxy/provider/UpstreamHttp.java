package org.anthropicproxy.provider;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.anthropicproxy.config.ServerSettings;
import org.anthropicproxy.http1.ClientExchange;
import org.anthropicproxy.http1.Http1Client;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.content.ByteBufferContentSource;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The one upstream HTTP client: the lean {@link Http1Client}, or Jetty's HttpClient when the system property
 * {@value #CLIENT_PROPERTY} is {@code jetty} (kept for A/B measurements). Either is tuned for a proxy: no default
 * User-Agent or gzip (the client's own headers go upstream), Nagle off, no limit of connections per destination that
 * an agent fleet streaming many long responses to one host would meet, idle pooled connections closed before common
 * upstream limits.
 */
public final class UpstreamHttp implements AutoCloseable {

    /** What each buffer pool (the server's and this client's) keeps between uses, heap and direct each. */
    public static final long POOL_RETAINED_BYTES = 16L * 1024 * 1024;
    public static final String CLIENT_PROPERTY = "anthropicproxy.client";

    /** Exactly one of the two is set. */
    private final HttpClient client;
    private final Http1Client leanClient;
    private final ServerSettings settings;
    private final HeadersDeadlines headersDeadlines;
    private final org.anthropicproxy.net.ProxyRules proxies;

    public UpstreamHttp(ServerSettings settings) {
        this(settings, defaultTls(), org.anthropicproxy.net.ProxyRules.DIRECT);
    }

    /**
     * A client whose TLS connections check certificates with {@code tls} (see {@code tls.UpstreamTrust}) and that
     * reaches upstreams through the forward proxy {@code proxies} names ({@code net.ProxyRules}).
     */
    public UpstreamHttp(ServerSettings settings, javax.net.ssl.SSLContext tls, org.anthropicproxy.net.ProxyRules proxies) {
        this.settings = settings;
        this.headersDeadlines = new HeadersDeadlines(settings.headersTimeout());
        this.proxies = proxies;
        if ("jetty".equals(System.getProperty(CLIENT_PROPERTY))) {
            if (proxies != org.anthropicproxy.net.ProxyRules.DIRECT) {
                throw new IllegalStateException("-D" + CLIENT_PROPERTY + "=jetty (an A/B measurement aid) does not go through forward proxies");
            }
            client = jettyClient(settings, tls);
            leanClient = null;
        } else {
            client = null;
            leanClient = new Http1Client("upstream-io", settings.connectTimeout(), settings.upstreamIdleConnection(),
                    requestBufferSize(settings), tls, proxies::forUri);
        }
    }

    private static HttpClient jettyClient(ServerSettings settings, javax.net.ssl.SSLContext tls) {
        ClientConnector connector = new ClientConnector();
        org.eclipse.jetty.util.ssl.SslContextFactory.Client sslFactory = new org.eclipse.jetty.util.ssl.SslContextFactory.Client();
        sslFactory.setSslContext(tls);
        connector.setSslContextFactory(sslFactory);
        connector.setConnectTimeout(settings.connectTimeout());
        connector.setIdleTimeout(settings.upstreamIdleConnection());
        connector.setTCPNoDelay(true);
        // response parsing never blocks (bodies are handed to the reading thread), so a few platform threads serve
        // every upstream connection; a fixed count, as a growing pool left dozens of idle threads after a burst
        QueuedThreadPool pool = new QueuedThreadPool(4, 4);
        pool.setName("upstream");
        pool.setReservedThreads(0);
        connector.setExecutor(pool);
        HttpClientTransportOverHTTP transport = new HttpClientTransportOverHTTP(connector);
        // our listeners only queue what arrives for the reading thread, so the selector may parse responses itself
        // instead of waking a pool thread for every read (one thread hand-off less per response)
        transport.setInvocationType(Invocable.InvocationType.NON_BLOCKING);
        HttpClient client = new HttpClient(transport);
        client.setExecutor(pool);
        // Jetty's default pool keeps nothing above 64 KiB, and the request header buffer (sized below) is larger:
        // without a bigger bucket every request allocated and zeroed a fresh direct buffer. Retention is bounded: by
        // default a pool may keep 1/8 of the heap size each in heap and direct buffers, and a burst left RSS high.
        client.setByteBufferPool(new ArrayByteBufferPool(0, 4096, Math.max(64 * 1024, requestBufferSize(settings)),
                Integer.MAX_VALUE, POOL_RETAINED_BYTES, POOL_RETAINED_BYTES));
        client.setUserAgentField(null);
        client.setFollowRedirects(false);
        client.setMaxConnectionsPerDestination(4096);
        client.setMaxRequestsQueuedPerDestination(65536);
        client.setIdleTimeout(settings.upstreamIdleConnection().toMillis());
        client.setConnectTimeout(settings.connectTimeout().toMillis());
        // the client's headers go upstream: room for as much as the server accepts plus our own (default is 4 KiB)
        client.setRequestBufferSize(requestBufferSize(settings));
        client.getContentDecoderFactories().clear();
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the upstream HTTP client", e);
        }
        // Jetty's own handling of 401, 407, redirects and 100-continue (installed by start): a proxy passes those
        // answers to its client as they are. The 401 handler failed every 401 without a WWW-Authenticate header as a
        // protocol violation, so such an upstream answer (a token rejected even after its refresh) became a 500.
        client.getProtocolHandlers().clear();
        return client;
    }

    private static int requestBufferSize(ServerSettings settings) {
        return settings.maxHeaderBytes() + 16 * 1024;
    }

    /**
     * An upstream response whose headers arrived. The body is read as a blocking stream ({@link #body}), taken as a
     * content source by an asynchronous reader ({@link #source}), or was already received whole
     * ({@link #postForWhole}).
     */
    public static final class Exchange implements AutoCloseable {
        private final int status;
        private final HttpFields headers;
        private final java.util.function.Consumer<Throwable> abort;
        private final CompletableFuture<Content.Source> source;
        private InputStream body;
        private byte[] whole;
        private boolean sourceTaken;

        Exchange(int status, HttpFields headers, java.util.function.Consumer<Throwable> abort, CompletableFuture<Content.Source> source) {
            this.status = status;
            this.headers = headers;
            this.abort = abort;
            this.source = source;
        }

        Exchange(int status, HttpFields headers, java.util.function.Consumer<Throwable> abort, InputStream body) {
            this(status, headers, abort, (CompletableFuture<Content.Source>) null);
            this.body = body;
        }

        Exchange(int status, HttpFields headers, java.util.function.Consumer<Throwable> abort, byte[] whole) {
            this(status, headers, abort, new java.io.ByteArrayInputStream(whole));
            this.whole = whole;
        }

        public int status() {
            return status;
        }

        public HttpFields headers() {
            return headers;
        }

        public String contentType() {
            String ct = headers.get("content-type");
            return ct == null ? "" : ct.toLowerCase(Locale.ROOT);
        }

        /** The body as a blocking stream; an upstream failure while reading is an {@link IOException}. */
        public InputStream body() {
            if (body == null) {
                try {
                    body = new ChunkInputStream(sourceNow());
                } catch (IOException e) {
                    body = failing(e);
                }
            }
            return body;
        }

        /**
         * The body for a reader that demands and reads it chunk by chunk (and releases each chunk). Only for an
         * exchange from {@link #post}, and instead of {@link #body}.
         */
        public Content.Source source() throws IOException {
            sourceTaken = true;
            return sourceNow();
        }

        /** {@link #source} for a caller that must not wait: it comes right after the headers. */
        public CompletableFuture<Content.Source> sourceAsync() {
            sourceTaken = true;
            return source;
        }

        /** The body's source; it comes right after the headers, or with the end of a response without content. */
        private Content.Source sourceNow() throws IOException {
            try {
                return source.get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                throw cause instanceof IOException io ? io : new IOException(cause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted waiting for the upstream body");
            }
        }

        /** Reads at most {@code limit} bytes of the body (error bodies, non-stream answers). */
        public byte[] readBody(int limit) throws IOException {
            if (whole != null && whole.length <= limit) {
                return whole;
            }
            return body().readNBytes(limit);
        }

        public Map<String, List<String>> headerMap() {
            Map<String, List<String>> m = new LinkedHashMap<>();
            for (HttpField f : headers) {
                m.computeIfAbsent(f.getLowerCaseName(), k -> new ArrayList<>()).add(f.getValue());
            }
            return m;
        }

        /** Cancels the upstream request now (client gone, or failover): the connection is not reused. */
        public void abort(Throwable cause) {
            abort.accept(cause);
        }

        /** Ends the exchange: a body not read to its end is given up, and its connection with it. */
        @Override
        public void close() {
            if (sourceTaken) {
                return; // its reader ends it
            }
            try {
                body().close();
            } catch (IOException ignored) {
                // closing a finished or aborted stream has nothing left to report
            }
        }
    }

    private static InputStream failing(Throwable cause) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                throw cause instanceof IOException io ? io : new IOException(cause);
            }
        };
    }

    /** Thrown when the upstream gave no response headers: refused, reset, or too slow. */
    public static final class NoAnswerException extends Exception {
        private final boolean timeout;

        NoAnswerException(String message, boolean timeout, Throwable cause) {
            super(message, cause, false, false);
            this.timeout = timeout;
        }

        public boolean timeout() {
            return timeout;
        }
    }

    public Exchange post(URI uri, HttpFields headers, byte[] body) throws NoAnswerException, InterruptedException {
        if (leanClient != null) {
            ClientExchange x = leanClient.send(uri, "POST", headers, body, settings.idleTimeout(), settings.requestTimeout());
            return await(leanStreaming(uri, x), x::abort);
        }
        Request req = postRequest(uri, headers, body);
        return await(sendStreaming(req, uri), req::abort);
    }

    /** {@link #post} without waiting: completes when the headers arrive, or with a {@link NoAnswerException}. */
    public CompletableFuture<Exchange> postAsync(URI uri, HttpFields headers, byte[] body) {
        if (leanClient != null) {
            ClientExchange x = leanClient.send(uri, "POST", headers, body, settings.idleTimeout(), settings.requestTimeout());
            return abortOnCancel(leanStreaming(uri, x), x::abort);
        }
        Request req = postRequest(uri, headers, body);
        return abortOnCancel(sendStreaming(req, uri), req::abort);
    }

    /**
     * A caller that cancels the answer it waits for (its client left) gives the upstream request up at once, its
     * connection closed (hostile.ClientDepartureIT).
     */
    private static CompletableFuture<Exchange> abortOnCancel(CompletableFuture<Exchange> answer,
                                                             java.util.function.Consumer<Throwable> abort) {
        answer.whenComplete((x, failure) -> {
            if (failure instanceof java.util.concurrent.CancellationException) {
                abort.accept(new IOException("client disconnected"));
            }
        });
        return answer;
    }

    /**
     * Like {@link #post}, but returns only once the whole body (at most {@code limit} bytes; more fails the request)
     * has arrived: for answers that are used whole anyway, one wake-up of the waiting thread instead of one for the
     * headers and more for the body.
     */
    public Exchange postForWhole(URI uri, HttpFields headers, byte[] body, int limit) throws NoAnswerException, InterruptedException {
        if (leanClient != null) {
            ClientExchange x = leanClient.send(uri, "POST", headers, body, settings.idleTimeout(), settings.requestTimeout());
            return await(leanWhole(uri, x, limit), x::abort);
        }
        Request req = postRequest(uri, headers, body);
        return await(sendForWhole(req, uri, limit), req::abort);
    }

    /** {@link #postForWhole} without waiting. */
    public CompletableFuture<Exchange> postForWholeAsync(URI uri, HttpFields headers, byte[] body, int limit) {
        if (leanClient != null) {
            ClientExchange x = leanClient.send(uri, "POST", headers, body, settings.idleTimeout(), settings.requestTimeout());
            return abortOnCancel(leanWhole(uri, x, limit), x::abort);
        }
        Request req = postRequest(uri, headers, body);
        return abortOnCancel(sendForWhole(req, uri, limit), req::abort);
    }

    public Exchange get(URI uri, HttpFields headers) throws NoAnswerException, InterruptedException {
        if (leanClient != null) {
            ClientExchange x = leanClient.send(uri, "GET", headers, null, settings.headersTimeout(), settings.headersTimeout());
            return await(leanStreaming(uri, x), x::abort);
        }
        Request req = client.newRequest(uri)
                .method("GET")
                .headers(h -> {
                    h.clear();
                    h.add(headers);
                })
                .timeout(settings.headersTimeout().toMillis(), TimeUnit.MILLISECONDS);
        return await(sendStreaming(req, uri), req::abort);
    }

    /** The JDK's default TLS context: its trust store (cacerts, or javax.net.ssl.trustStore), as Jetty's client used. */
    private static javax.net.ssl.SSLContext defaultTls() {
        try {
            return javax.net.ssl.SSLContext.getDefault();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("no default TLS context", e);
        }
    }

    private CompletableFuture<Exchange> leanStreaming(URI uri, ClientExchange x) {
        HeadersDeadlines.Entry deadline = headersDeadlines.add(x::abort, System.nanoTime() + settings.headersTimeout().toNanos());
        return x.head().handle((head, failure) -> {
            headersDeadlines.remove(deadline);
            if (failure != null) {
                throw new CompletionException(noAnswer(uri, failure));
            }
            return new Exchange(head.status(), head.headers(), x::abort, CompletableFuture.completedFuture(x.body()));
        });
    }

    private CompletableFuture<Exchange> leanWhole(URI uri, ClientExchange x, int limit) {
        HeadersDeadlines.Entry deadline = headersDeadlines.add(x::abort, System.nanoTime() + settings.headersTimeout().toNanos());
        return x.head().handle((head, failure) -> {
            headersDeadlines.remove(deadline);
            if (failure != null) {
                throw new CompletionException(noAnswer(uri, failure));
            }
            return head;
        }).thenCompose(head -> new WholeBody(x, head, limit).read());
    }

    /**
     * Reads a lean exchange's body to its end without blocking (on the thread that delivers it). A failure after the
     * headers (a cut body) is met by the reader of the exchange, as with a stream.
     */
    private static final class WholeBody implements Runnable {
        private final ClientExchange x;
        private final ClientExchange.Head head;
        private final int limit;
        private final CompletableFuture<Exchange> done = new CompletableFuture<>();
        private byte[] buf;
        private int len;

        WholeBody(ClientExchange x, ClientExchange.Head head, int limit) {
            this.x = x;
            this.head = head;
            this.limit = limit;
            long declared = head.headers().getLongField("content-length");
            buf = new byte[declared > 0 && declared <= limit ? (int) declared : 0];
        }

        CompletableFuture<Exchange> read() {
            run();
            return done;
        }

        @Override
        public void run() {
            Content.Source source = x.body();
            while (true) {
                Content.Chunk chunk = source.read();
                if (chunk == null) {
                    source.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    done.complete(new Exchange(head.status(), head.headers(), x::abort, failing(chunk.getFailure())));
                    return;
                }
                java.nio.ByteBuffer bytes = chunk.getByteBuffer();
                int n = bytes.remaining();
                if (len + n > limit) {
                    chunk.release();
                    IOException tooLarge = new IOException("upstream response larger than " + limit + " bytes");
                    x.abort(tooLarge);
                    done.complete(new Exchange(head.status(), head.headers(), x::abort, failing(tooLarge)));
                    return;
                }
                if (len + n > buf.length) {
                    buf = java.util.Arrays.copyOf(buf, Math.min(limit, Math.max(len + n, Math.max(4096, buf.length * 2))));
                }
                bytes.get(buf, len, n);
                len += n;
                boolean last = chunk.isLast();
                chunk.release();
                if (last) {
                    done.complete(new Exchange(head.status(), head.headers(), x::abort,
                            len == buf.length ? buf : java.util.Arrays.copyOf(buf, len)));
                    return;
                }
            }
        }
    }

    private CompletableFuture<Exchange> sendForWhole(Request req, URI uri, int limit) {
        WholeListener listener = new WholeListener(limit);
        listener.deadline = headersDeadlines.add(req::abort, System.nanoTime() + settings.headersTimeout().toNanos());
        req.send(listener);
        return listener.done.handle((response, failure) -> {
            if (failure != null) {
                throw new CompletionException(noAnswer(uri, failure));
            }
            Throwable cut = listener.bodyFailure;
            // the headers came, the body did not: the reader meets the failure, as with a stream
            return cut != null ? new Exchange(response.getStatus(), response.getHeaders(), req::abort, failing(cut))
                    : new Exchange(response.getStatus(), response.getHeaders(), req::abort, listener.body());
        });
    }

    private CompletableFuture<Exchange> sendStreaming(Request req, URI uri) {
        StreamListener listener = new StreamListener();
        listener.deadline = headersDeadlines.add(req::abort, System.nanoTime() + settings.headersTimeout().toNanos());
        req.send(listener);
        return listener.headers.handle((response, failure) -> {
            if (failure != null) {
                throw new CompletionException(noAnswer(uri, failure));
            }
            return new Exchange(response.getStatus(), response.getHeaders(), req::abort, listener.sourceFuture());
        });
    }

    private static Exchange await(CompletableFuture<Exchange> answer, java.util.function.Consumer<Throwable> abort)
            throws NoAnswerException, InterruptedException {
        try {
            return answer.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof NoAnswerException n) {
                throw n;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            abort.accept(e);
            throw e;
        }
    }

    private Request postRequest(URI uri, HttpFields headers, byte[] body) {
        return client.newRequest(uri)
                .method("POST")
                .headers(h -> {
                    h.clear();
                    h.add(headers);
                })
                .idleTimeout(settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .timeout(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .body(new BytesRequestContent(contentType(headers), body));
    }

    private NoAnswerException noAnswer(URI uri, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        Duration wait = settings.headersTimeout();
        if (cause instanceof HeadersDeadlines.Expired) {
            return new NoAnswerException("upstream " + hostOf(uri) + " sent no response headers within "
                    + wait.toSeconds() + " s", true, cause);
        }
        boolean timeout = cause instanceof TimeoutException;
        if (cause instanceof org.anthropicproxy.net.ProxyException) {
            return new NoAnswerException("upstream " + hostOf(uri) + " not reached: " + cause.getMessage(), false, cause);
        }
        java.util.Optional<String> untrusted = org.anthropicproxy.tls.TrustFailures.explain(cause, "upstream " + hostOf(uri));
        if (untrusted.isPresent()) {
            return new NoAnswerException(untrusted.get(), false, cause);
        }
        org.anthropicproxy.net.OutboundProxy via = proxies.forUri(uri);
        return new NoAnswerException("upstream " + hostOf(uri) + (via == null ? "" : " (through proxy " + via.address() + ")")
                + " unreachable: " + describe(cause), timeout, cause);
    }

    /**
     * Collects a whole response. A failure after the headers (a cut body) fails it too: the caller then has no
     * answer, as with an unreadable stream. The headers deadline ends when the headers arrive.
     */
    private final class WholeListener implements Response.Listener {
        final CompletableFuture<Response> done = new CompletableFuture<>();
        private final int limit;
        private volatile HeadersDeadlines.Entry deadline;
        private volatile Response headers;
        volatile Throwable bodyFailure;
        private byte[] buf = new byte[0];
        private int len;

        WholeListener(int limit) {
            this.limit = limit;
        }

        byte[] body() {
            return len == buf.length ? buf : java.util.Arrays.copyOf(buf, len);
        }

        @Override
        public void onHeaders(Response response) {
            HeadersDeadlines.Entry d = deadline;
            if (d != null) {
                headersDeadlines.remove(d);
            }
            headers = response;
            long declared = response.getHeaders().getLongField("content-length");
            if (declared > 0 && declared <= limit) {
                buf = new byte[(int) declared];
            }
        }

        @Override
        public void onContent(Response response, java.nio.ByteBuffer content) {
            int n = content.remaining();
            if (len + n > limit) {
                response.abort(new IOException("upstream response larger than " + limit + " bytes"));
                return;
            }
            if (len + n > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.min(limit, Math.max(len + n, Math.max(4096, buf.length * 2))));
            }
            content.get(buf, len, n);
            len += n;
        }

        @Override
        public void onComplete(org.eclipse.jetty.client.Result result) {
            headersDeadlines.remove(deadline);
            if (result.isFailed() && headers == null) {
                done.completeExceptionally(result.getFailure());
            } else if (result.isFailed()) {
                bodyFailure = result.getFailure();
                done.complete(headers);
            } else {
                done.complete(result.getResponse());
            }
        }
    }

    /**
     * Hands the response over when its headers arrive, and its body as the content source Jetty offers. The wait for
     * the headers is untimed on purpose: a timed park of a virtual thread arms and cancels a JDK timer per request
     * (two extra thread wake-ups), while the headers deadline is enforced by {@link HeadersDeadlines}' one sweeper.
     */
    final class StreamListener implements Response.Listener {
        final CompletableFuture<Response> headers = new CompletableFuture<>();
        private final CompletableFuture<Content.Source> source = new CompletableFuture<>();
        volatile HeadersDeadlines.Entry deadline;

        @Override
        public void onHeaders(Response response) {
            headersDeadlines.remove(deadline);
            headers.complete(response);
        }

        @Override
        public void onContentSource(Response response, Content.Source content) {
            source.complete(content);
        }

        @Override
        public void onComplete(org.eclipse.jetty.client.Result result) {
            headersDeadlines.remove(deadline);
            if (result.isFailed()) {
                headers.completeExceptionally(result.getFailure());
                source.completeExceptionally(result.getFailure());
            } else {
                source.complete(new ByteBufferContentSource()); // a response without content never offered one
            }
        }

        CompletableFuture<Content.Source> sourceFuture() {
            return source;
        }

    }

    int pendingHeaderDeadlines() {
        return headersDeadlines.pending();
    }

    private static String contentType(HttpFields headers) {
        String ct = headers.get("content-type");
        return ct == null ? "application/json" : ct;
    }

    static String hostOf(URI uri) {
        return uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        String name = t.getClass().getSimpleName();
        return m == null || m.isBlank() ? name : name + ": " + m;
    }

    @Override
    public void close() {
        headersDeadlines.close();
        if (leanClient != null) {
            leanClient.close();
            return;
        }
        try {
            client.stop();
        } catch (Exception ignored) {
            // shutting down: connections are going away regardless
        }
    }
}
