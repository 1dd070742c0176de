package org.anthropicproxy.credentials;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import org.anthropicproxy.http1.ClientExchange;
import org.anthropicproxy.http1.Http1Client;
import org.anthropicproxy.net.OutboundProxy;
import org.anthropicproxy.net.ProxyRules;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;

/**
 * How token refreshes leave: the provider's TLS trust and forward proxy, the same as its upstream calls. Through no
 * proxy or an HTTP one, the JDK client sends them; it sends a {@code Proxy-Authorization} header set on the request
 * with its {@code CONNECT} (and, for plain http, with the request itself), so credentials from the proxy URL go
 * there. The JDK client cannot use a SOCKS proxy, so through one the refresh goes out on the upstream client
 * ({@link Http1Client}), opened for it and closed after (refreshes are rare). Guarded by {@code ForwardProxyIT} and
 * {@code SocksProxyIT}.
 *
 * @param tls     null for the JDK's default trust
 * @param proxies the provider's proxy rules
 */
record RefreshHttp(SSLContext tls, ProxyRules proxies) {

    /** A refresh answer: its status and body. */
    record Answer(int status, byte[] body) {}

    private static final int MAX_BODY = 1024 * 1024;

    HttpClient.Builder builder() {
        HttpClient.Builder b = HttpClient.newBuilder().proxy(proxies.selector());
        if (tls != null) {
            b.sslContext(tls); // the provider's trust: its CA bundles, or none checked
        }
        return b;
    }

    Answer send(HttpClient http, HttpRequest request, Duration connectTimeout)
            throws IOException, InterruptedException {
        OutboundProxy p = proxies.forUri(request.uri());
        if (p != null && p.kind().socks()) {
            return sendViaSocks(request, connectTimeout);
        }
        if (p != null && p.authorization() != null) {
            request = HttpRequest.newBuilder(request, (name, value) -> true)
                    .header("Proxy-Authorization", p.authorization())
                    .build();
        }
        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        // no body at all when a forward proxy refused the CONNECT (its status is the answer's)
        return new Answer(r.statusCode(), r.body() == null ? new byte[0] : r.body());
    }

    private Answer sendViaSocks(HttpRequest request, Duration connectTimeout) throws IOException, InterruptedException {
        Duration timeout = request.timeout().orElse(TokenFileFormat.REQUEST_TIMEOUT);
        HttpFields.Mutable headers = HttpFields.build();
        request.headers().map().forEach((name, values) -> values.forEach(v -> headers.add(name, v)));
        SSLContext context;
        try {
            context = tls != null ? tls : SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IOException("no TLS context", e);
        }
        try (Http1Client client = new Http1Client(
                "credentials-refresh-io", connectTimeout, Duration.ofSeconds(1), 64 * 1024, context, proxies::forUri)) {
            ClientExchange x = client.send(request.uri(), request.method(), headers, body(request), timeout, timeout);
            ClientExchange.Head head;
            try {
                head = x.head().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                x.abort(e);
                throw new HttpTimeoutException("request timed out");
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
            return new Answer(head.status(), readAll(x.body(), timeout));
        }
    }

    private static byte[] body(HttpRequest request) throws IOException, InterruptedException {
        if (request.bodyPublisher().isEmpty()) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompletableFuture<byte[]> done = new CompletableFuture<>();
        request.bodyPublisher().get().subscribe(new Flow.Subscriber<ByteBuffer>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ByteBuffer b) {
                byte[] a = new byte[b.remaining()];
                b.get(a);
                out.writeBytes(a);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                done.complete(out.toByteArray());
            }
        });
        try {
            return done.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("cannot read the refresh request's body", e);
        }
    }

    private static byte[] readAll(Content.Source source, Duration timeout) throws IOException, InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Content.Chunk chunk = source.read();
            if (chunk == null) {
                CountDownLatch more = new CountDownLatch(1);
                source.demand(more::countDown);
                if (!more.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    source.fail(new HttpTimeoutException("request timed out"));
                    throw new HttpTimeoutException("request timed out");
                }
                continue;
            }
            if (Content.Chunk.isFailure(chunk)) {
                Throwable f = chunk.getFailure();
                throw f instanceof IOException io ? io : new IOException(f);
            }
            ByteBuffer b = chunk.getByteBuffer();
            if (out.size() + b.remaining() > MAX_BODY) {
                chunk.release();
                source.fail(new IOException("too large"));
                throw new IOException("refresh answer larger than " + MAX_BODY + " bytes");
            }
            byte[] a = new byte[b.remaining()];
            b.get(a);
            out.writeBytes(a);
            boolean last = chunk.isLast();
            chunk.release();
            if (last) {
                return out.toByteArray();
            }
        }
    }
}
