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
import java.util.concurrent.TimeoutException;
import org.anthropicproxy.config.ServerSettings;
import org.anthropicproxy.http1.ClientExchange;
import org.anthropicproxy.http1.Http1Client;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;

/**
 * The one upstream HTTP client, the lean {@link Http1Client}, tuned for a proxy: no default
 * User-Agent or gzip (the client's own headers go upstream), Nagle off, no limit of connections per destination that
 * an agent fleet streaming many long responses to one host would meet, idle pooled connections closed before common
 * upstream limits.
 */
public final class UpstreamHttp implements AutoCloseable {

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
    public UpstreamHttp(
            ServerSettings settings, javax.net.ssl.SSLContext tls, org.anthropicproxy.net.ProxyRules proxies) {
        this.settings = settings;
        this.headersDeadlines = new HeadersDeadlines(settings.headersTimeout());
        this.proxies = proxies;
        this.leanClient = new Http1Client(
                "upstream-io",
                settings.connectTimeout(),
                settings.upstreamIdleConnection(),
                requestBufferSize(settings),
                tls,
                proxies::forUri);
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

        Exchange(
                int status,
                HttpFields headers,
                java.util.function.Consumer<Throwable> abort,
                CompletableFuture<Content.Source> source) {
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

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return read();
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
        ClientExchange x =
                leanClient.send(uri, "POST", headers, body, settings.idleTimeout(), settings.requestTimeout());
        return await(leanStreaming(uri, x), x::abort);
    }

    /** {@link #post} without waiting: completes when the headers arrive, or with a {@link NoAnswerException}. */
    public CompletableFuture<Exchange> postAsync(URI uri, HttpFields headers, byte[] body) {
        ClientExchange x =
                leanClient.send(uri, "POST", headers, body, settings.idleTimeout(), settings.requestTimeout());
        return abortOnCancel(leanStreaming(uri, x), x::abort);
    }

    /**
     * A caller that cancels the answer it waits for (its client left) gives the upstream request up at once, its
     * connection closed (hostile.ClientDepartureIT).
     */
    @SuppressWarnings("FutureReturnValueIgnored") // the callback only aborts; its own future carries nothing
    private static CompletableFuture<Exchange> abortOnCancel(
            CompletableFuture<Exchange> answer, java.util.function.Consumer<Throwable> abort) {
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
    public Exchange postForWhole(URI uri, HttpFields headers, byte[] body, int limit)
            throws NoAnswerException, InterruptedException {
        ClientExchange x =
                leanClient.send(uri, "POST", headers, body, settings.idleTimeout(), settings.requestTimeout());
        return await(leanWhole(uri, x, limit), x::abort);
    }

    /** {@link #postForWhole} without waiting. */
    public CompletableFuture<Exchange> postForWholeAsync(URI uri, HttpFields headers, byte[] body, int limit) {
        ClientExchange x =
                leanClient.send(uri, "POST", headers, body, settings.idleTimeout(), settings.requestTimeout());
        return abortOnCancel(leanWhole(uri, x, limit), x::abort);
    }

    public Exchange get(URI uri, HttpFields headers) throws NoAnswerException, InterruptedException {
        ClientExchange x =
                leanClient.send(uri, "GET", headers, null, settings.headersTimeout(), settings.headersTimeout());
        return await(leanStreaming(uri, x), x::abort);
    }

    /** The JDK's default TLS context: its trust store (cacerts, or javax.net.ssl.trustStore). */
    private static javax.net.ssl.SSLContext defaultTls() {
        try {
            return javax.net.ssl.SSLContext.getDefault();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("no default TLS context", e);
        }
    }

    private CompletableFuture<Exchange> leanStreaming(URI uri, ClientExchange x) {
        HeadersDeadlines.Entry deadline = headersDeadlines.add(
                x::abort, System.nanoTime() + settings.headersTimeout().toNanos());
        return x.head().handle((head, failure) -> {
            headersDeadlines.remove(deadline);
            if (failure != null) {
                throw new CompletionException(noAnswer(uri, failure));
            }
            return new Exchange(head.status(), head.headers(), x::abort, CompletableFuture.completedFuture(x.body()));
        });
    }

    private CompletableFuture<Exchange> leanWhole(URI uri, ClientExchange x, int limit) {
        HeadersDeadlines.Entry deadline = headersDeadlines.add(
                x::abort, System.nanoTime() + settings.headersTimeout().toNanos());
        return x.head()
                .handle((head, failure) -> {
                    headersDeadlines.remove(deadline);
                    if (failure != null) {
                        throw new CompletionException(noAnswer(uri, failure));
                    }
                    return head;
                })
                .thenCompose(head -> new WholeBody(x, head, limit).read());
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
                    buf = java.util.Arrays.copyOf(
                            buf, Math.min(limit, Math.max(len + n, Math.max(4096, buf.length * 2))));
                }
                bytes.get(buf, len, n);
                len += n;
                boolean last = chunk.isLast();
                chunk.release();
                if (last) {
                    done.complete(new Exchange(
                            head.status(),
                            head.headers(),
                            x::abort,
                            len == buf.length ? buf : java.util.Arrays.copyOf(buf, len)));
                    return;
                }
            }
        }
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

    private NoAnswerException noAnswer(URI uri, Throwable failure) {
        Throwable cause =
                failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        Duration wait = settings.headersTimeout();
        if (cause instanceof HeadersDeadlines.Expired) {
            return new NoAnswerException(
                    "upstream " + hostOf(uri) + " sent no response headers within " + wait.toSeconds() + " s",
                    true,
                    cause);
        }
        boolean timeout = cause instanceof TimeoutException;
        if (cause instanceof org.anthropicproxy.net.ProxyException) {
            return new NoAnswerException(
                    "upstream " + hostOf(uri) + " not reached: " + cause.getMessage(), false, cause);
        }
        java.util.Optional<String> untrusted =
                org.anthropicproxy.tls.TrustFailures.explain(cause, "upstream " + hostOf(uri));
        if (untrusted.isPresent()) {
            return new NoAnswerException(untrusted.get(), false, cause);
        }
        org.anthropicproxy.net.OutboundProxy via = proxies.forUri(uri);
        return new NoAnswerException(
                "upstream " + hostOf(uri) + (via == null ? "" : " (through proxy " + via.address() + ")")
                        + " unreachable: " + describe(cause),
                timeout,
                cause);
    }

    int pendingHeaderDeadlines() {
        return headersDeadlines.pending();
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
        leanClient.close();
    }
}
