package org.anthropicproxy.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A real HTTP upstream on 127.0.0.1 that records every request and answers from scripts: queued ones first, then
 * the default responder. Used as an Anthropic-format or OpenAI-format upstream depending on the scripts given.
 */
public final class UpstreamSimulator implements AutoCloseable {

    private final Server server;
    private final boolean secure;
    private final ServerConnector connector;
    private final List<RecordedRequest> received = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<UpstreamScript> queue = new ConcurrentLinkedQueue<>();
    private volatile Function<RecordedRequest, UpstreamScript> responder;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger aborted = new AtomicInteger();
    private final Set<String> connections = ConcurrentHashMap.newKeySet();

    public UpstreamSimulator(Function<RecordedRequest, UpstreamScript> defaultResponder) {
        this(defaultResponder, null);
    }

    /** Over TLS with {@code tls}'s certificate when not null ({@link TestCa#jettyServer()}): {@link #baseUrl()} is https. */
    public UpstreamSimulator(
            Function<RecordedRequest, UpstreamScript> defaultResponder,
            org.eclipse.jetty.util.ssl.SslContextFactory.Server tls) {
        this.responder = defaultResponder;
        this.secure = tls != null;
        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setName("simulator");
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(pool);
        connector = tls == null
                ? new ServerConnector(server)
                : new ServerConnector(
                        server,
                        new org.eclipse.jetty.server.SslConnectionFactory(tls, "http/1.1"),
                        new org.eclipse.jetty.server.HttpConnectionFactory(
                                new org.eclipse.jetty.server.HttpConfiguration()));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract(Handler.Abstract.InvocationType.BLOCKING) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                serve(request, response, callback);
                return true;
            }
        });
        try {
            server.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public String baseUrl() {
        return (secure ? "https" : "http") + "://127.0.0.1:" + connector.getLocalPort();
    }

    public int port() {
        return connector.getLocalPort();
    }

    public List<RecordedRequest> received() {
        return new ArrayList<>(received);
    }

    public RecordedRequest last() {
        return received.get(received.size() - 1);
    }

    public void enqueue(UpstreamScript script) {
        queue.add(script);
    }

    public void respondWith(Function<RecordedRequest, UpstreamScript> r) {
        this.responder = r;
    }

    /** How many connections (by the client's address and port) requests arrived on since the start or the last reset. */
    public int connectionsSeen() {
        return connections.size();
    }

    /** Requests whose response is still being written. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Responses that failed because the proxy went away while they were written. */
    public int aborted() {
        return aborted.get();
    }

    public void reset() {
        received.clear();
        connections.clear();
        queue.clear();
    }

    private void serve(Request request, Response response, Callback callback) throws IOException {
        inFlight.incrementAndGet();
        connections.add(String.valueOf(request.getConnectionMetaData().getRemoteSocketAddress()));
        try {
            byte[] body;
            try (InputStream in = Content.Source.asInputStream(request)) {
                body = in.readAllBytes();
            }
            Map<String, List<String>> headers = new LinkedHashMap<>();
            for (HttpField f : request.getHeaders()) {
                headers.computeIfAbsent(f.getLowerCaseName(), k -> new ArrayList<>())
                        .add(f.getValue());
            }
            RecordedRequest rec = new RecordedRequest(
                    request.getMethod(),
                    request.getHttpURI().getPath(),
                    request.getHttpURI().getQuery(),
                    headers,
                    body);
            received.add(rec);
            UpstreamScript script = queue.poll();
            if (script == null) {
                script = responder.apply(rec);
            }
            play(script, response, callback);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void play(UpstreamScript s, Response response, Callback callback) {
        try {
            if (!s.stallBeforeHeaders().isZero()) {
                Thread.sleep(s.stallBeforeHeaders());
            }
            response.setStatus(s.status());
            s.headers().forEach((k, v) -> response.getHeaders().put(k, v));
            boolean single =
                    s.parts().size() == 1 && !s.dropAtEnd() && s.pause().isZero();
            if (single) {
                response.getHeaders()
                        .put("content-length", Long.toString(s.parts().get(0).length));
            }
            for (byte[] part : s.parts()) {
                if (!s.pause().isZero()) {
                    Thread.sleep(s.pause());
                }
                try (Blocker.Callback cb = Blocker.callback()) {
                    response.write(false, ByteBuffer.wrap(part), cb);
                    cb.block();
                }
            }
            if (s.dropAtEnd()) {
                callback.failed(new IOException("simulated connection drop"));
                return;
            }
            response.write(true, ByteBuffer.allocate(0), callback);
        } catch (IOException e) {
            aborted.incrementAndGet();
            callback.failed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            callback.failed(e);
        }
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception ignored) {
            // test teardown
        }
    }
}
