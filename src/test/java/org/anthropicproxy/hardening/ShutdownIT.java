package org.anthropicproxy.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.ThreadCensus;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy as a real process ({@code java -cp <test classpath> org.anthropicproxy.cli.Main}) receiving SIGTERM with
 * streams open: those that finish within {@code shutdown_grace} end with message_stop, the rest with an error event;
 * the quota file is whole JSON; the process exits.
 */
class ShutdownIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String QUOTA_BODY =
            "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"本周额度已用尽，请下周再试 (weekly limit reached)\"}}";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void sigtermFinishesShortStreamsEndsLongOnesWithAnErrorAndExits() throws Exception {
        // 14 events 150 ms apart (~2 s) finish inside the 5 s grace; 14 events 1 s apart do not
        try (UpstreamSimulator sim = new UpstreamSimulator(r -> r.bodyText().contains("quick")
                        ? UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse"))
                                .withPause(Duration.ofMillis(150))
                        : r.bodyText().contains("slow")
                                ? UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse"))
                                        .withPause(Duration.ofMillis(1000))
                                : UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")));
                UpstreamSimulator spent = new UpstreamSimulator(r -> UpstreamScript.json(429, QUOTA_BODY));
                HttpClient http = HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(5))
                        .build()) {
            Path config = dir.resolve("config.yaml");
            Files.writeString(
                    config,
                    "server: {shutdown_grace: 5s}\nproviders:\n"
                            + "  sim: {kind: anthropic, base_url: \"" + sim.baseUrl() + "\", api_key: k}\n"
                            + "  spent: {kind: anthropic, base_url: \"" + spent.baseUrl() + "\", api_key: k}\n"
                            + "route: [sim]\nroutes: [{match: \"q-*\", chain: [spent, sim]}]\n");
            Path quota = dir.resolve("quota_state.json");
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            String java =
                    Path.of(System.getProperty("java.home"), "bin", "java").toString();
            // the proxy's own logging setup (the tests' one is on the same class path): the log file is checked below
            String logback = Path.of(ShutdownIT.class
                            .getClassLoader()
                            .getResource("logback.xml")
                            .toURI())
                    .toString();
            Process proxy = new ProcessBuilder(
                            java,
                            "-Xmx256m",
                            "-Dlogback.configurationFile=" + logback,
                            "-cp",
                            System.getProperty("java.class.path"),
                            "org.anthropicproxy.cli.Main",
                            "--config",
                            config.toString(),
                            "--port",
                            Integer.toString(port),
                            "--quota-file",
                            quota.toString(),
                            "--log-file",
                            dir.resolve("proxy.log").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("proxy.out").toFile())
                    .start();
            try {
                String base = "http://127.0.0.1:" + port;
                assertThat(ThreadCensus.await(Duration.ofSeconds(30), () -> healthy(http, base)))
                        .as("proxy up; output: %s", output())
                        .isTrue();

                // a quota failure on 'spent' moves to 'sim' and writes the quota file
                HttpResponse<String> q = post(
                        http,
                        base,
                        "{\"model\":\"q-model\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}");
                assertThat(q.statusCode()).isEqualTo(200);
                assertThat(Files.exists(quota)).isTrue();

                CompletableFuture<HttpResponse<String>> quick =
                        CompletableFuture.supplyAsync(() -> post(http, base, stream("quick")));
                CompletableFuture<HttpResponse<String>> slow =
                        CompletableFuture.supplyAsync(() -> post(http, base, stream("slow")));
                assertThat(ThreadCensus.await(Duration.ofSeconds(10), () -> sim.inFlight() == 2))
                        .isTrue();

                long t0 = System.nanoTime();
                proxy.destroy(); // SIGTERM
                HttpResponse<String> qr = quick.get(20, TimeUnit.SECONDS);
                HttpResponse<String> sr = slow.get(20, TimeUnit.SECONDS);
                long slowEnded = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertThat(proxy.waitFor(20, TimeUnit.SECONDS))
                        .as("process exits; output: %s", output())
                        .isTrue();
                long exited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

                assertThat(qr.body()).contains("event: message_stop").doesNotContain("event: error");
                assertThat(sr.body())
                        .contains("event: error")
                        .contains("shutting down")
                        .doesNotContain("event: message_stop");
                JsonNode state = JSON.readTree(Files.readString(quota));
                assertThat(state.path("spent").path("quota_exhausted").asBoolean())
                        .as(state.toString())
                        .isTrue();
                assertThat(ThreadCensus.await(Duration.ofSeconds(5), () -> sim.inFlight() == 0))
                        .as("upstream cancelled")
                        .isTrue();
                String log = Files.readString(dir.resolve("proxy.log"));
                assertThat(log)
                        .as("one line when SIGTERM arrives, one when stopped")
                        .containsOnlyOnce("INFO  anthropic-proxy - stopping: 2 requests in flight, grace 5 s")
                        .containsPattern("INFO  anthropic-proxy - stopped after \\d+ ms");
                System.out.printf(
                        "%n== ShutdownIT ==%nSIGTERM with 2 streams open: quick stream completed with message_stop; "
                                + "slow stream ended with event: error after %d ms (grace 5 s); process exited after %d ms, exit code %d; "
                                + "quota file valid JSON (%d bytes)%n",
                        slowEnded, exited, proxy.exitValue(), Files.size(quota));
            } finally {
                proxy.destroyForcibly();
                proxy.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private String output() {
        try {
            return Files.readString(dir.resolve("proxy.out"));
        } catch (Exception e) {
            return "(none)";
        }
    }

    private static String stream(String tag) {
        return "{\"model\":\"m\",\"max_tokens\":5,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + tag
                + "\"}]}";
    }

    private static boolean healthy(HttpClient http, String base) {
        try {
            return http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/health"))
                                            .timeout(Duration.ofSeconds(2))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode()
                    == 200;
        } catch (Exception e) {
            return false;
        }
    }

    private static HttpResponse<String> post(HttpClient http, String base, String body) {
        try {
            return http.send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/messages"))
                            .timeout(Duration.ofSeconds(30))
                            .header("content-type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
