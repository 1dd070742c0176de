package org.anthropicproxy.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RefreshServerSimulator;
import org.anthropicproxy.testkit.TestCa;
import org.anthropicproxy.testkit.TinyProxy;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstreams reached through a real forward proxy (tinyproxy): https in a CONNECT tunnel with TLS end to end (the
 * upstream's certificate, from a CA the test made, checked for the upstream's name), http in absolute form,
 * credentials from the proxy URL, tunnels pooled, streams relayed event by event, token refreshes through it, and
 * each way the proxy can fail as a clear 502 that names it (and a failover in a chain).
 */
@Timeout(90)
class ForwardProxyIT {

    private static final String REQUEST =
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final TestCa ca = TestCa.get();
    private final UpstreamSimulator tlsUpstream = new UpstreamSimulator(r -> answer(r.bodyText()), ca.jettyServer());
    private final UpstreamSimulator plainUpstream = new UpstreamSimulator(r -> answer(r.bodyText()));
    private TinyProxy tinyproxy;
    private ProxyHarness proxy;

    private static UpstreamScript answer(String body) {
        return body.contains("\"stream\":true")
                ? UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse"))
                : UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json"));
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (tinyproxy != null) {
            tinyproxy.close();
        }
        tlsUpstream.close();
        plainUpstream.close();
    }

    private void start(String yaml, Map<String, String> env) {
        proxy = ProxyHarness.start(yaml + "tls: {ca_file: \"" + ca.caPem() + "\"}\n", env, CliOverrides.none());
    }

    private void startVia(String proxyUrl, UpstreamSimulator upstream) {
        start("""
                providers:
                  up: {kind: anthropic, base_url: "%s", api_key: k}
                route: [up]
                proxy: {url: "%s"}
                """.formatted(upstream.baseUrl(), proxyUrl), Map.of());
    }

    private HttpResponse<String> message(boolean stream) {
        return proxy.post(
                "/v1/messages", REQUEST + (stream ? ",\"stream\":true}" : "}"), "content-type", "application/json");
    }

    private static String errorMessage(HttpResponse<String> r) throws Exception {
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.at("/error/type").asText()).isEqualTo("api_error");
        return body.at("/error/message").asText();
    }

    @Test
    void httpsGoesThroughAConnectTunnelThatIsPooledAndStreamsAreRelayedAsTheyCome() throws Exception {
        tinyproxy = TinyProxy.start(dir.resolve("tp"), null, List.of());
        startVia(tinyproxy.url(null), tlsUpstream);

        HttpResponse<String> r = message(false);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).path("type").asText()).isEqualTo("message");
        HttpResponse<String> s = message(true);
        assertThat(s.statusCode()).isEqualTo(200);
        assertThat(s.body()).contains("event: message_start").contains("event: message_stop");

        assertThat(tinyproxy.requests("CONNECT 127.0.0.1:" + tlsUpstream.port()))
                .isEqualTo(1); // the tunnel was reused
        assertThat(tlsUpstream.connectionsSeen()).isEqualTo(1);
        assertThat(tlsUpstream.received()).hasSize(2);
        JsonNode health = JSON.readTree(proxy.get("/health").body());
        assertThat(health.at("/providers/0/via").asText()).isEqualTo("http://127.0.0.1:" + tinyproxy.port());

        // event by event: the first event reaches the client while the upstream is still sending the rest
        tlsUpstream.enqueue(
                UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse")).withPause(Duration.ofMillis(400)));
        HttpRequest req = HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/v1/messages"))
                .timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(REQUEST + ",\"stream\":true}"))
                .build();
        HttpResponse<InputStream> live =
                HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(live.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null && !line.equals("event: message_start")) {
                // skip to the first event
            }
            assertThat(line).isEqualTo("event: message_start");
            assertThat(tlsUpstream.inFlight())
                    .as("upstream still sending when the first event arrived")
                    .isEqualTo(1);
            StringBuilder rest = new StringBuilder();
            while ((line = lines.readLine()) != null) {
                rest.append(line).append('\n');
            }
            assertThat(rest).contains("event: message_stop");
        }
    }

    @Test
    void plainHttpGoesInAbsoluteFormWithTheCredentialsOfTheProxyUrl() throws Exception {
        tinyproxy = TinyProxy.start(dir.resolve("tp"), "alice:s3cret", List.of());
        startVia(tinyproxy.url("alice:s3cret"), plainUpstream);

        HttpResponse<String> r = message(false);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(tinyproxy.requests("POST http://127.0.0.1:" + plainUpstream.port() + "/v1/messages"))
                .isEqualTo(1);
        assertThat(plainUpstream.last().header("proxy-authorization")).isNull(); // for the proxy, not passed on
    }

    @Test
    void proxyAuthorizationOpensTheTunnelAndA407NamesTheProxyNeverThePassword() throws Exception {
        tinyproxy = TinyProxy.start(dir.resolve("tp"), "alice:s3cret", List.of());
        startVia(tinyproxy.url("alice:s3cret"), tlsUpstream);
        assertThat(message(true).statusCode()).isEqualTo(200);
        proxy.close();

        startVia(tinyproxy.url("alice:wrong-password"), tlsUpstream);
        HttpResponse<String> r = message(false);
        assertThat(r.statusCode()).isEqualTo(502);
        // tinyproxy answers a CONNECT with bad credentials 401 (others 407): both are read as the proxy's refusal
        assertThat(errorMessage(r))
                .contains("127.0.0.1:" + tinyproxy.port())
                .containsAnyOf("407", "401")
                .contains("refused the credentials")
                .doesNotContain("wrong-password")
                .doesNotContain("alice");
        proxy.close();

        startVia(tinyproxy.url(null), tlsUpstream);
        assertThat(errorMessage(message(false))).containsAnyOf("407", "401").contains("wants credentials");
    }

    @Test
    void aRejectedConnectIsA502WithWhatTheProxyAnswered() throws Exception {
        tinyproxy = TinyProxy.start(dir.resolve("tp"), null, List.of(443)); // CONNECT to any other port: 403
        startVia(tinyproxy.url(null), tlsUpstream);
        HttpResponse<String> r = message(false);
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(errorMessage(r))
                .contains("proxy 127.0.0.1:" + tinyproxy.port())
                .contains("rejected CONNECT 127.0.0.1:" + tlsUpstream.port())
                .contains("403");
        assertThat(tlsUpstream.received()).isEmpty();
    }

    @Test
    void aRefusingProxyIsA502NamingItAndTheChainFailsOverToTheNextProvider() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        start("""
                providers:
                  first: {kind: anthropic, base_url: "%s", api_key: k, proxy: "http://user:pw@127.0.0.1:%d"}
                  second: {kind: anthropic, base_url: "%s", api_key: k, proxy: none}
                route: [first]
                routes:
                  - {match: "chain-*", chain: [first, second]}
                """.formatted(tlsUpstream.baseUrl(), closed, plainUpstream.baseUrl()), Map.of());
        HttpResponse<String> r = message(false);
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(errorMessage(r))
                .contains("proxy 127.0.0.1:" + closed + " unreachable")
                .doesNotContain("pw@");

        HttpResponse<String> chained = proxy.post(
                "/v1/messages",
                "{\"model\":\"chain-model\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "content-type",
                "application/json");
        assertThat(chained.statusCode()).as(chained.body()).isEqualTo(200);
        assertThat(plainUpstream.received()).hasSize(1);
        JsonNode health = JSON.readTree(proxy.get("/health").body());
        assertThat(health.at("/providers/0/via").asText()).isEqualTo("http://127.0.0.1:" + closed);
    }

    @Test
    void perProviderNoneGoesDirectWhileTheOthersUseTheTopLevelProxy() throws Exception {
        tinyproxy = TinyProxy.start(dir.resolve("tp"), null, List.of());
        start("""
                providers:
                  proxied: {kind: anthropic, base_url: "%s", api_key: k}
                  direct: {kind: anthropic, base_url: "%s", api_key: k, proxy: none}
                route: [direct]
                routes:
                  - {match: "via-*", chain: [proxied]}
                proxy: {url: "%s"}
                """.formatted(tlsUpstream.baseUrl(), plainUpstream.baseUrl(), tinyproxy.url(null)), Map.of());
        assertThat(message(false).statusCode()).isEqualTo(200);
        assertThat(plainUpstream.received()).hasSize(1);
        assertThat(tinyproxy.log()).doesNotContain("Request (file descriptor");
        HttpResponse<String> via = proxy.post(
                "/v1/messages",
                "{\"model\":\"via-model\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "content-type",
                "application/json");
        assertThat(via.statusCode()).isEqualTo(200);
        assertThat(tinyproxy.requests("CONNECT 127.0.0.1:" + tlsUpstream.port()))
                .isEqualTo(1);
        JsonNode health = JSON.readTree(proxy.get("/health").body());
        assertThat(health.at("/providers/0/via").asText()).isEqualTo("direct");
    }

    @Test
    void anEnvironmentProxyIsNotUsedForLoopbackUpstreams() throws Exception {
        tinyproxy = TinyProxy.start(dir.resolve("tp"), null, List.of());
        start("""
                providers:
                  up: {kind: anthropic, base_url: "%s", api_key: k}
                route: [up]
                """.formatted(tlsUpstream.baseUrl()), Map.of("HTTPS_PROXY", tinyproxy.url(null)));
        assertThat(message(false).statusCode()).isEqualTo(200);
        assertThat(tinyproxy.log()).doesNotContain("Request (file descriptor");
        assertThat(JSON.readTree(proxy.get("/health").body())
                        .at("/providers/0/via")
                        .asText())
                .isEqualTo("direct");
    }

    @Test
    void tokenRefreshesGoThroughTheProxyWithItsCredentialsOverHttpsAndHttp() throws Exception {
        tinyproxy = TinyProxy.start(dir.resolve("tp"), "alice:s3cret", List.of());
        try (RefreshServerSimulator httpsRefresh = new RefreshServerSimulator("tls", ca.serverContext());
                RefreshServerSimulator httpRefresh = new RefreshServerSimulator("plain")) {
            Path a = expired("a.json");
            Path b = expired("b.json");
            start(
                    """
                    providers:
                      a: {kind: anthropic, base_url: "%s", auth: {type: native, file: "%s", refresh_url: "%s"}}
                      b: {kind: anthropic, base_url: "%s", auth: {type: native, file: "%s", refresh_url: "%s"}}
                    route: [a]
                    routes:
                      - {match: "b-*", chain: [b]}
                    proxy: {url: "%s"}
                    """.formatted(
                                    tlsUpstream.baseUrl(),
                                    a,
                                    httpsRefresh.nativeUrl(),
                                    plainUpstream.baseUrl(),
                                    b,
                                    httpRefresh.nativeUrl(),
                                    tinyproxy.url("alice:s3cret")),
                    Map.of());
            HttpResponse<String> r = message(false);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(httpsRefresh.nativeCalls()).isEqualTo(1);
            assertThat(tlsUpstream.last().header("x-api-key")).isEqualTo(httpsRefresh.accessToken(1));
            assertThat(tinyproxy.requests(
                            "CONNECT 127.0.0.1:" + httpsRefresh.hostAndPort().split(":", -1)[1]))
                    .isEqualTo(1);

            HttpResponse<String> rb = proxy.post(
                    "/v1/messages",
                    "{\"model\":\"b-model\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    "content-type",
                    "application/json");
            assertThat(rb.statusCode()).as(rb.body()).isEqualTo(200);
            assertThat(httpRefresh.nativeCalls()).isEqualTo(1);
            assertThat(tinyproxy.requests("POST " + httpRefresh.nativeUrl())).isEqualTo(1);
            assertThat(httpRefresh.last().header("proxy-authorization")).isNull();
        }
    }

    private Path expired(String name) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(
                f,
                JSON.createObjectNode()
                        .put("accessToken", "old")
                        .put("refreshToken", "ref")
                        .put("expiresAt", Instant.now().minusSeconds(60).toEpochMilli())
                        .toString());
        return f;
    }

    @Test
    void aProxyThatDiesMidStreamEndsTheClientsStreamWithAnErrorEvent() throws Exception {
        tinyproxy = TinyProxy.start(dir.resolve("tp"), null, List.of());
        startVia(tinyproxy.url(null), tlsUpstream);
        tlsUpstream.enqueue(
                UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse")).withPause(Duration.ofMillis(500)));
        HttpRequest req = HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/v1/messages"))
                .timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(REQUEST + ",\"stream\":true}"))
                .build();
        HttpResponse<InputStream> live =
                HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(live.statusCode()).isEqualTo(200);
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(live.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null && !line.equals("event: message_start")) {
                // up to the first event
            }
            tinyproxy.kill();
            StringBuilder rest = new StringBuilder();
            while ((line = lines.readLine()) != null) {
                rest.append(line).append('\n');
            }
            assertThat(rest)
                    .contains("event: error")
                    .contains("\"type\":\"api_error\"")
                    .doesNotContain("event: message_stop");
        }
    }

    @Test
    void aTunnelClosedBeforeTheAnswerIsA502NamingTheProxy() throws Exception {
        tinyproxy = TinyProxy.start(dir.resolve("tp"), null, List.of());
        try (ServerSocket closing = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofVirtual().start(() -> {
                while (!closing.isClosed()) {
                    try {
                        closing.accept().close(); // accepts the tunnel's connection, then hangs up
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            start("""
                    providers:
                      up: {kind: anthropic, base_url: "https://127.0.0.1:%d", api_key: k}
                    route: [up]
                    proxy: {url: "%s"}
                    """.formatted(closing.getLocalPort(), tinyproxy.url(null)), Map.of());
            HttpResponse<String> r = message(false);
            assertThat(errorMessage(r))
                    .contains("upstream 127.0.0.1:" + closing.getLocalPort())
                    .contains("through proxy 127.0.0.1:" + tinyproxy.port());
            assertThat(r.statusCode()).isEqualTo(502);
            closing.close();
            acceptor.join(5000);
        }
    }
}
