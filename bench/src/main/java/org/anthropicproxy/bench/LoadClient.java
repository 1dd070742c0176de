package org.anthropicproxy.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The one HTTP client used for direct and proxied load: Jetty's asynchronous client (no thread per request, large
 * connection pool). Response bodies are scanned as they arrive and never buffered.
 */
final class LoadClient implements AutoCloseable {

    /** What one request saw; times are {@link System#nanoTime()}. */
    static final class Obs {
        final long intended;
        long firstByte;
        long end;
        int status;
        boolean complete; // the stream's end marker was seen (non-stream: a 200 is enough)
        Throwable failure;

        Obs(long intended) {
            this.intended = intended;
        }

        boolean ok() {
            return failure == null && status == 200 && complete;
        }
    }

    private final HttpClient http;

    LoadClient() throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool(32);
        pool.setName("load-client");
        pool.setDaemon(true);
        http = new HttpClient();
        http.setExecutor(pool);
        http.setMaxConnectionsPerDestination(4096);
        http.setMaxRequestsQueuedPerDestination(1 << 16);
        http.setIdleTimeout(300_000);
        http.setConnectTimeout(5_000);
        http.setFollowRedirects(false);
        http.setUserAgentField(null);
        http.getContentDecoderFactories().clear();
        http.start();
    }

    /**
     * Sends one POST. {@code endMarker} (ASCII, first character not repeated in it) marks a complete stream; null for
     * a non-stream answer. {@code chunkDelays} (may be null) receives each {@code @@kk:nanos@@} marker's delivery delay.
     */
    void post(
            String url,
            byte[] body,
            long intended,
            String endMarker,
            Samples chunkDelays,
            Runnable onFirstByte,
            Consumer<Obs> done) {
        Obs obs = new Obs(intended);
        obs.complete = endMarker == null;
        byte[] marker = endMarker == null ? null : endMarker.getBytes(StandardCharsets.US_ASCII);
        int[] matched = new int[1];
        Request r = http.newRequest(url)
                .method(HttpMethod.POST)
                .timeout(60, TimeUnit.SECONDS)
                .headers(h -> h.put("anthropic-version", "2023-06-01").put("x-api-key", "bench-client-key"))
                .body(new BytesRequestContent("application/json", body));
        r.onResponseContent((response, buf) -> {
            long now = System.nanoTime();
            if (obs.firstByte == 0) {
                obs.firstByte = now;
                if (onFirstByte != null) {
                    onFirstByte.run();
                }
            }
            if (marker != null && !obs.complete) {
                int m = matched[0];
                for (int i = buf.position(), n = buf.limit(); i < n; i++) {
                    byte b = buf.get(i);
                    m = b == marker[m] ? m + 1 : (b == marker[0] ? 1 : 0);
                    if (m == marker.length) {
                        obs.complete = true;
                        break;
                    }
                }
                matched[0] = m;
            }
            if (chunkDelays != null) {
                readMarkers(buf, now, chunkDelays);
            }
        });
        r.send(result -> {
            obs.end = System.nanoTime();
            obs.failure = result.getFailure();
            if (result.getResponse() != null) {
                obs.status = result.getResponse().getStatus();
            }
            done.accept(obs);
        });
    }

    /** {@code @@kk:nanos@@}: the upstream's send time of chunk kk, same clock as ours. */
    private static void readMarkers(ByteBuffer buf, long now, Samples out) {
        int n = buf.limit();
        for (int i = buf.position(); i + 1 < n; i++) {
            if (buf.get(i) == '@' && buf.get(i + 1) == '@' && i + 5 < n && buf.get(i + 4) == ':') {
                long sent = 0;
                int j = i + 5;
                while (j < n && buf.get(j) >= '0' && buf.get(j) <= '9') {
                    sent = sent * 10 + (buf.get(j) - '0');
                    j++;
                }
                if (j + 1 < n && buf.get(j) == '@' && buf.get(j + 1) == '@') {
                    out.add(now - sent);
                    i = j + 1;
                }
            }
        }
    }

    /** A blocking POST for start-up polling: the status, or -1 when the connection fails. */
    int postOnce(String url, byte[] body) {
        try {
            ContentResponse r = http.newRequest(url)
                    .method(HttpMethod.POST)
                    .timeout(2, TimeUnit.SECONDS)
                    .headers(h -> h.put("anthropic-version", "2023-06-01").put("x-api-key", "bench-client-key"))
                    .body(new BytesRequestContent("application/json", body))
                    .send();
            return r.getStatus();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (Exception e) {
            return -1;
        }
    }

    @Override
    public void close() throws Exception {
        http.stop();
    }

    /** A growable, thread-safe sample buffer (nanoseconds). */
    static final class Samples {
        private long[] a = new long[4096];
        private int n;

        synchronized void add(long v) {
            if (n == a.length) {
                a = java.util.Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        synchronized Stats stats() {
            return new Stats(a, n);
        }
    }
}
