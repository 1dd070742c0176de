package org.anthropicproxy.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.anthropicproxy.testkit.AnthropicAnswers;
import org.anthropicproxy.testkit.MarkedStreams;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.ThreadCensus;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code soak.streams} concurrent clients (CI: 200; documented run: 1,000) stream through the proxy back to back for
 * {@code soak.seconds} (CI: 20), half passthrough and half translation. Every delta carries a per-request marker; each
 * client checks it got exactly its own marker sequence and a message_stop: no stream lost, cut or crossed.
 * Prints the streams served, the test JVM's peak RSS (VmHWM) and thread counts.
 */
class SoakIT {

    private static final int STREAMS = Integer.getInteger("soak.streams", 200);
    private static final int SECONDS = Integer.getInteger("soak.seconds", 20);
    private static final int DELTAS = 10;
    private static final Duration PAUSE = Duration.ofMillis(50);

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void concurrentStreamsArriveWholeAndUncrossed() throws Exception {
        AtomicInteger passed = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (UpstreamSimulator anthropic = new UpstreamSimulator(r -> MarkedStreams.anthropic(r, DELTAS, PAUSE));
                UpstreamSimulator openai = new UpstreamSimulator(r -> MarkedStreams.openai(r, DELTAS, PAUSE));
                ProxyHarness proxy =
                        ProxyHarness.start("server: {max_concurrent_requests: " + (STREAMS + 50) + "}\nproviders:\n"
                                + "  pt: {kind: anthropic, base_url: \"" + anthropic.baseUrl() + "\", api_key: k}\n"
                                + "  oa: {kind: openai, base_url: \"" + openai.baseUrl() + "\", api_key: k}\n"
                                + "route: [pt]\nroutes: [{match: \"oa-*\", chain: [oa]}]\n");
                HttpClient http = HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(10))
                        .build()) {
            int threadsBefore = ThreadCensus.platformThreads();
            mx.resetPeakThreadCount();
            AtomicInteger peakPlatform = new AtomicInteger(threadsBefore);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
            CountDownLatch done = new CountDownLatch(STREAMS);
            Thread sampler = Thread.ofVirtual().start(() -> {
                while (done.getCount() > 0) {
                    peakPlatform.accumulateAndGet(ThreadCensus.platformThreads(), Math::max);
                    try {
                        Thread.sleep(250);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            for (int w = 0; w < STREAMS; w++) {
                int worker = w;
                Thread.ofVirtual().start(() -> {
                    try {
                        for (int seq = 0; System.nanoTime() < deadline; seq++) {
                            started.incrementAndGet();
                            String marker = "soak-" + worker + "-" + seq;
                            String model = (worker + seq) % 2 == 0 ? "claude-soak" : "oa-soak";
                            String problem = stream(http, proxy, model, marker);
                            if (problem == null) {
                                passed.incrementAndGet();
                            } else {
                                failures.add(marker + " via " + model + ": " + problem);
                            }
                        }
                    } finally {
                        done.countDown();
                    }
                });
            }
            assertThat(done.await(SECONDS + 120, TimeUnit.SECONDS))
                    .as("clients finished")
                    .isTrue();
            sampler.interrupt();
            Map<String, Long> mem = ThreadCensus.memoryKiB();
            System.out.printf(
                    "%n== SoakIT ==%nconcurrent clients %d for %d s: streams started %d, complete and uncrossed %d, "
                            + "lost/cut/crossed %d%npeak RSS (VmHWM) %d MiB, RSS now %d MiB; platform threads before %d, peak %d; "
                            + "JVM peak thread count (platform) %d%n",
                    STREAMS,
                    SECONDS,
                    started.get(),
                    passed.get(),
                    failures.size(),
                    mem.get("VmHWM") / 1024,
                    mem.get("VmRSS") / 1024,
                    threadsBefore,
                    peakPlatform.get(),
                    mx.getPeakThreadCount());
            failures.stream().limit(10).forEach(f -> System.out.println("  " + f));
            assertThat(failures).isEmpty();
            assertThat(passed.get()).isEqualTo(started.get()).isGreaterThanOrEqualTo(STREAMS);
            assertThat(ThreadCensus.await(
                            Duration.ofSeconds(10), () -> anthropic.inFlight() == 0 && openai.inFlight() == 0))
                    .isTrue();
        }
    }

    /** Null when the stream was whole and the client's own; else what went wrong. */
    private static String stream(HttpClient http, ProxyHarness proxy, String model, String marker) {
        String body = "{\"model\":\"" + model
                + "\",\"max_tokens\":64,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"say " + marker
                + "\"}]}";
        HttpRequest req = HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/v1/messages"))
                .timeout(Duration.ofSeconds(60))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        try {
            HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                return "status " + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8);
            }
            List<String> deltas = MarkedStreams.textDeltas(r.body());
            if (!deltas.equals(MarkedStreams.expectedDeltas(marker, DELTAS))) {
                return "deltas " + deltas;
            }
            String last = AnthropicAnswers.lastEvent(r.body());
            return "message_stop".equals(last) ? null : "last event " + last;
        } catch (Exception e) {
            return e.toString();
        }
    }
}
