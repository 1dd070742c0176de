package org.anthropicproxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.config.ConfigException;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.ThreadCensus;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Client keys, the loopback rule, the concurrency limit, disconnects and graceful shutdown. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HardeningIT {

    private static final String BODY =
            "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String STREAM_BODY =
            "{\"model\":\"m\",\"max_tokens\":5,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private UpstreamSimulator upstream;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void up() {
        upstream = new UpstreamSimulator(r -> r.json().path("stream").asBoolean()
                ? UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse"))
                : UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")));
    }

    @AfterEach
    void down() {
        upstream.close();
    }

    private String providers() {
        return "providers:\n  sim: {kind: anthropic, base_url: \"" + upstream.baseUrl()
                + "\", api_key: up}\nroute: [sim]\n";
    }

    private HttpResponse<String> send(ProxyHarness p, String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(p.baseUrl() + path))
                .timeout(Duration.ofSeconds(20))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @ParameterizedTest(name = "{0} {1} with [{2}] -> {3}")
    @CsvSource(
            delimiter = '|',
            value = {
                "POST|/v1/messages||401",
                "POST|/v1/messages|x-api-key: wrong|401",
                "POST|/v1/messages|x-api-key: client-1|200",
                "POST|/v1/messages|authorization: Bearer client-1|200",
                "POST|/v1/messages|x-api-key: hashed-client|200",
                "POST|/v1/messages|x-api-key: admin-1|200",
                "GET|/v1/quota|x-api-key: client-1|401",
                "GET|/v1/quota|x-api-key: admin-1|200",
                "POST|/v1/quota/reset|x-api-key: client-1|401",
                "POST|/v1/quota/reset|authorization: Bearer admin-1|200",
                "POST|/v1/quota/reset||401",
                "GET|/v1/models||401",
                "GET|/health||200",
                "HEAD|/||200",
            })
    void keysAreRequiredWhenConfiguredAndAdminEndpointsNeedTheAdminKey(
            String method, String path, String header, int status) throws Exception {
        String hashed = "sha256:" + HexFormat.of().formatHex(ClientAuth.sha256("hashed-client"));
        try (ProxyHarness p = ProxyHarness.start(
                providers() + "client_keys: [client-1, \"" + hashed + "\"]\nadmin_keys: [admin-1]\n")) {
            String[] h = header == null ? new String[0] : header.split(": ", 2);
            HttpResponse<String> r = send(p, method, path, method.equals("POST") ? BODY : null, h);
            assertThat(r.statusCode()).isEqualTo(status);
            if (status == 401) {
                assertThat(r.body()).contains("\"type\":\"authentication_error\"");
            }
        }
    }

    @Test
    void withoutKeysLoopbackServesEverythingIncludingAdmin() throws Exception {
        try (ProxyHarness p = ProxyHarness.start(providers())) {
            assertThat(send(p, "POST", "/v1/messages", BODY).statusCode()).isEqualTo(200);
            assertThat(send(p, "POST", "/v1/quota/reset", "").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void nonLoopbackWithoutKeysIsRefusedUnlessExplicitlyAllowed() {
        assertThatThrownBy(() -> ProxyHarness.start(
                        providers(), Map.of(), new CliOverrides("0.0.0.0", 0, null, null, null, null)))
                .hasRootCauseInstanceOf(ConfigException.class)
                .rootCause()
                .hasMessageContaining("--allow-unauthenticated")
                .hasMessageContaining("client_keys");
        assertThat(org.anthropicproxy.ProxyAppAccess.isLoopback("127.0.0.1")).isTrue();
        assertThat(org.anthropicproxy.ProxyAppAccess.isLoopback("localhost")).isTrue();
        assertThat(org.anthropicproxy.ProxyAppAccess.isLoopback("0.0.0.0")).isFalse();
    }

    @Test
    void beyondTheConcurrencyLimitRequestsGet529() throws Exception {
        upstream.respondWith(r -> UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json"))
                .stallBeforeHeaders(Duration.ofMillis(1500)));
        try (ProxyHarness p = ProxyHarness.start("server: {max_concurrent_requests: 1}\n" + providers())) {
            CompletableFuture<HttpResponse<String>> first =
                    CompletableFuture.supplyAsync(() -> p.post("/v1/messages", BODY));
            waitFor(() -> upstream.inFlight() == 1);
            HttpResponse<String> second = p.post("/v1/messages", BODY);
            assertThat(second.statusCode()).isEqualTo(529);
            assertThat(second.body()).contains("overloaded_error");
            assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void clientGoneMidStreamCancelsTheUpstreamWithinASecond() throws Exception {
        // the proxy learns of the disconnect at its next write (events here, pings during upstream silence)
        upstream.respondWith(r ->
                UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse")).withPause(Duration.ofMillis(100)));
        try (ProxyHarness p = ProxyHarness.start(providers())) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(p.baseUrl() + "/v1/messages"))
                    .POST(HttpRequest.BodyPublishers.ofString(STREAM_BODY))
                    .build();
            HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            InputStream in = r.body();
            byte[] first = in.readNBytes(40);
            assertThat(new String(first, StandardCharsets.UTF_8)).startsWith("event: message_start");
            in.close();
            long t0 = System.nanoTime();
            waitFor(() -> upstream.inFlight() == 0);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
            assertThat(upstream.aborted()).isEqualTo(1);
        }
    }

    @Test
    void shutdownLetsStreamsFinishWithinGraceAndEndsTheRestWithAnErrorEvent() throws Exception {
        // 14 events 150 ms apart (~2 s) finish inside a 4 s grace; 14 events 1 s apart do not
        upstream.respondWith(r -> r.json().path("max_tokens").asInt() == 1
                ? UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse")).withPause(Duration.ofMillis(150))
                : UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse")).withPause(Duration.ofMillis(1000)));
        ProxyHarness p = ProxyHarness.start("server: {shutdown_grace: 4s}\n" + providers());
        CompletableFuture<HttpResponse<String>> quick = CompletableFuture.supplyAsync(
                () -> p.post("/v1/messages", STREAM_BODY.replace("\"max_tokens\":5", "\"max_tokens\":1")));
        CompletableFuture<HttpResponse<String>> slow =
                CompletableFuture.supplyAsync(() -> p.post("/v1/messages", STREAM_BODY));
        waitFor(() -> upstream.inFlight() == 2);
        p.close();
        HttpResponse<String> q = quick.get(15, TimeUnit.SECONDS);
        assertThat(q.body()).contains("event: message_stop").doesNotContain("event: error");
        HttpResponse<String> s = slow.get(15, TimeUnit.SECONDS);
        assertThat(s.body()).contains("event: error").contains("shutting down").doesNotContain("message_stop");
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        assertThat(ThreadCensus.await(Duration.ofSeconds(10), condition))
                .as("condition met within 10 s")
                .isTrue();
    }
}
