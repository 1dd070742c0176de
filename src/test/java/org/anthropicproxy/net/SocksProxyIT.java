package org.anthropicproxy.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.MicroSocks;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RefreshServerSimulator;
import org.anthropicproxy.testkit.TestCa;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstreams and token refreshes through a real SOCKS5 server (microsocks) requiring a user name and password: the
 * right credentials get through, wrong or missing ones and a dead server are clear 502s naming it, which shows the
 * traffic took the proxy. {@code socks5h} has the proxy resolve {@code localhost}; TLS is checked for that name.
 */
@Timeout(90)
class SocksProxyIT {

    private static final String REQUEST =
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final TestCa ca = TestCa.get();
    private final UpstreamSimulator tlsUpstream = new UpstreamSimulator(
            r -> r.bodyText().contains("\"stream\":true")
                    ? UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse"))
                    : UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")),
            ca.jettyServer());
    private final UpstreamSimulator plainUpstream =
            new UpstreamSimulator(r -> UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")));
    private MicroSocks socks;
    private ProxyHarness proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (socks != null) {
            socks.close();
        }
        tlsUpstream.close();
        plainUpstream.close();
    }

    private void startVia(String proxyUrl, String baseUrl) {
        if (proxy != null) {
            proxy.close();
        }
        proxy = ProxyHarness.start("""
                providers:
                  up: {kind: anthropic, base_url: "%s", api_key: k}
                route: [up]
                proxy: "%s"
                tls: {ca_file: "%s"}
                """.formatted(baseUrl, proxyUrl, ca.caPem()), Map.of(), CliOverrides.none());
    }

    private HttpResponse<String> message(boolean stream) {
        return proxy.post(
                "/v1/messages", REQUEST + (stream ? ",\"stream\":true}" : "}"), "content-type", "application/json");
    }

    private static String apiError(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).isEqualTo(502);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.at("/error/type").asText()).isEqualTo("api_error");
        return body.at("/error/message").asText();
    }

    @Test
    void httpsThroughSocks5hWithTheProxyResolvingTheNameAndHttpThroughSocks5() throws Exception {
        socks = MicroSocks.start(dir.resolve("socks"), "bob:pa55");
        String httpsBase = "https://localhost:" + tlsUpstream.port();
        startVia(socks.url("socks5h", "bob:pa55"), httpsBase);
        assertThat(message(false).statusCode()).isEqualTo(200);
        HttpResponse<String> s = message(true);
        assertThat(s.statusCode()).isEqualTo(200);
        assertThat(s.body()).contains("event: message_start").contains("event: message_stop");
        assertThat(tlsUpstream.connectionsSeen()).isEqualTo(1); // the tunnel was pooled
        assertThat(JSON.readTree(proxy.get("/health").body())
                        .at("/providers/0/via")
                        .asText())
                .isEqualTo("socks5h://127.0.0.1:" + socks.port());

        startVia(socks.url("socks5", "bob:pa55"), plainUpstream.baseUrl());
        assertThat(message(false).statusCode()).isEqualTo(200);
        assertThat(plainUpstream.last().path())
                .isEqualTo("/v1/messages"); // origin form: no proxy in between speaks HTTP

        startVia(socks.url("socks5h", "bob:wrong"), httpsBase);
        assertThat(apiError(message(false)))
                .contains("SOCKS proxy 127.0.0.1:" + socks.port())
                .contains("refused the user name and password")
                .doesNotContain("wrong")
                .doesNotContain("bob");

        startVia(socks.url("socks5h", null), httpsBase);
        assertThat(apiError(message(false))).contains("127.0.0.1:" + socks.port());

        socks.close();
        startVia(socks.url("socks5h", "bob:pa55"), httpsBase);
        assertThat(apiError(message(false))).contains("proxy 127.0.0.1:" + socks.port() + " unreachable");
    }

    @Test
    void aTokenRefreshGoesThroughTheSocksProxy() throws Exception {
        socks = MicroSocks.start(dir.resolve("socks"), "bob:pa55");
        try (RefreshServerSimulator refresh = new RefreshServerSimulator("tls", ca.serverContext())) {
            Path file = dir.resolve("config.json");
            Files.writeString(
                    file,
                    JSON.createObjectNode()
                            .put("accessToken", "old")
                            .put("refreshToken", "ref")
                            .put("expiresAt", Instant.now().minusSeconds(60).toEpochMilli())
                            .toString());
            String yaml = """
                    providers:
                      up: {kind: anthropic, base_url: "%s", auth: {type: native, file: "%s", refresh_url: "%s"}}
                    route: [up]
                    proxy: "%s"
                    tls: {ca_file: "%s"}
                    """;
            proxy = ProxyHarness.start(
                    yaml.formatted(
                            tlsUpstream.baseUrl(),
                            file,
                            refresh.nativeUrl(),
                            socks.url("socks5h", "bob:wrong"),
                            ca.caPem()),
                    Map.of(),
                    CliOverrides.none());
            HttpResponse<String> refused = message(false);
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(JSON.readTree(refused.body()).at("/error/message").asText())
                    .contains("refused the user name and password");
            assertThat(refresh.nativeCalls()).isZero();
            proxy.close();

            proxy = ProxyHarness.start(
                    yaml.formatted(
                            tlsUpstream.baseUrl(),
                            file,
                            refresh.nativeUrl(),
                            socks.url("socks5h", "bob:pa55"),
                            ca.caPem()),
                    Map.of(),
                    CliOverrides.none());
            HttpResponse<String> r = message(false);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(refresh.nativeCalls()).isEqualTo(1);
            assertThat(refresh.last().form()).containsEntry("refresh_token", "ref");
            assertThat(tlsUpstream.last().header("x-api-key")).isEqualTo(refresh.accessToken(1));
        }
    }
}
