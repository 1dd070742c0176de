package org.anthropicproxy.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A recording pass-through between a real client and the proxy, on 127.0.0.1: every request the client makes is
 * kept with the proxy's status and content type, and the proxy's body is relayed chunk by chunk as it arrives
 * (streams stay streams). This is how the suite sees side requests (HEAD /, telemetry, count_tokens) and any 404
 * the proxy gave, which the upstream simulators never see.
 */
final class RecordingFront implements AutoCloseable {

    /** A client request and what the proxy answered. Header names lower case; credentials are never kept. */
    record Exchange(
            String method,
            String path,
            String query,
            Map<String, List<String>> headers,
            byte[] body,
            int status,
            String contentType,
            byte[] responseHead) {}

    private static final Set<String> NOT_FORWARDED = Set.of(
            "host",
            "connection",
            "content-length",
            "expect",
            "upgrade",
            "transfer-encoding",
            "keep-alive",
            "te",
            "trailer",
            "http2-settings");
    private static final Set<String> SECRET = Set.of("x-api-key", "authorization");
    private static final int KEPT_RESPONSE_BYTES = 4096;

    private final Server server;
    private final ServerConnector connector;
    private final String target;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final List<Exchange> exchanges = new CopyOnWriteArrayList<>();

    RecordingFront(String targetBaseUrl) {
        this.target = targetBaseUrl;
        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setName("e2e-front");
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(pool);
        connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract(Handler.Abstract.InvocationType.BLOCKING) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                relay(request, response, callback);
                return true;
            }
        });
        try {
            server.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + connector.getLocalPort();
    }

    List<Exchange> exchanges() {
        return new ArrayList<>(exchanges);
    }

    private void relay(Request request, Response response, Callback callback) {
        try {
            byte[] body;
            try (InputStream in = Content.Source.asInputStream(request)) {
                body = in.readAllBytes();
            }
            String query = request.getHttpURI().getQuery();
            String pathAndQuery = request.getHttpURI().getPath() + (query == null ? "" : "?" + query);
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target + pathAndQuery))
                    .timeout(Duration.ofMinutes(5))
                    .method(
                            request.getMethod(),
                            body.length == 0 && !request.getMethod().equals("POST")
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofByteArray(body));
            Map<String, List<String>> recorded = new LinkedHashMap<>();
            for (HttpField f : request.getHeaders()) {
                String name = f.getLowerCaseName();
                recorded.computeIfAbsent(name, k -> new ArrayList<>())
                        .add(SECRET.contains(name) ? "<redacted>" : f.getValue());
                if (!NOT_FORWARDED.contains(name)) {
                    b.header(f.getName(), f.getValue());
                }
            }
            HttpResponse<InputStream> upstream = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            response.setStatus(upstream.statusCode());
            upstream.headers().map().forEach((name, values) -> {
                if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                    values.forEach(v -> response.getHeaders().add(name, v));
                }
            });
            byte[] head = new byte[KEPT_RESPONSE_BYTES];
            int kept = 0;
            try (InputStream in = upstream.body();
                    OutputStream out = Content.Sink.asOutputStream(response)) {
                byte[] buf = new byte[8192];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (kept < head.length) {
                        int c = Math.min(n, head.length - kept);
                        System.arraycopy(buf, 0, head, kept, c);
                        kept += c;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            }
            exchanges.add(new Exchange(
                    request.getMethod(),
                    request.getHttpURI().getPath(),
                    query,
                    recorded,
                    body,
                    upstream.statusCode(),
                    upstream.headers().firstValue("content-type").orElse(null),
                    Arrays.copyOf(head, kept)));
            callback.succeeded();
        } catch (IOException e) {
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
