package org.anthropicproxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.config.ConfigException;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RefreshServerSimulator;
import org.anthropicproxy.testkit.TestCa;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An https upstream whose certificate a CA made by the test signed ({@link TestCa}), trusted only through
 * {@code tls.ca_file} or the environment's bundle variables (passed as a map, never set on the process): served
 * end to end, streaming included; untrusted, a 502 that says so and names the settings; a bad bundle stops the start.
 */
@Timeout(90)
class PrivateCaIT {

    private static final String REQUEST =
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final TestCa ca = TestCa.get();
    private final UpstreamSimulator upstream = new UpstreamSimulator(
            r -> r.bodyText().contains("\"stream\":true")
                    ? UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse"))
                    : UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")),
            ca.jettyServer());
    private ProxyHarness proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        upstream.close();
    }

    private void start(String extraYaml, Map<String, String> env) {
        proxy = ProxyHarness.start("""
                providers:
                  secure: {kind: anthropic, base_url: "%s", api_key: upstream-key}
                route: [secure]
                """.formatted(upstream.baseUrl()) + extraYaml, env, CliOverrides.none());
    }

    private HttpResponse<String> message(boolean stream) {
        return proxy.post(
                "/v1/messages", REQUEST + (stream ? ",\"stream\":true}" : "}"), "content-type", "application/json");
    }

    @Test
    void caFileAtTheTopLevelIsTrustedForMessagesAndStreams() throws Exception {
        start("tls: {ca_file: \"" + ca.caPem() + "\"}\n", Map.of());
        HttpResponse<String> r = message(false);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).path("type").asText()).isEqualTo("message");
        HttpResponse<String> s = message(true);
        assertThat(s.statusCode()).as(s.body()).isEqualTo(200);
        assertThat(s.body()).contains("event: message_start").contains("event: message_stop");
        assertThat(upstream.received()).hasSize(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"})
    void eachEnvironmentBundleVariableIsTrusted(String variable) throws Exception {
        start("", Map.of(variable, ca.caPem().toString()));
        HttpResponse<String> r = message(true);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("event: message_stop");
        JsonNode health = JSON.readTree(proxy.get("/health").body());
        assertThat(health.at("/providers/0/tls/extra_ca_files/0").asText())
                .isEqualTo(ca.caPem() + " (environment variable " + variable + ")");
        assertThat(health.at("/providers/0/tls/insecure_skip_verify").asBoolean())
                .isFalse();
    }

    @Test
    void withoutTheCaTheCertificateIsUntrustedA502ThatNamesTheSettings() throws Exception {
        start("", Map.of());
        HttpResponse<String> r = message(false);
        assertThat(r.statusCode()).isEqualTo(502);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.at("/error/type").asText()).isEqualTo("api_error");
        assertThat(body.at("/error/message").asText())
                .contains("127.0.0.1:" + upstream.port())
                .contains("not trusted")
                .contains("tls.ca_file")
                .contains("SSL_CERT_FILE")
                .doesNotContain("PKIX path building failed:")
                .doesNotContain("Exception");
        assertThat(upstream.received()).isEmpty();
        assertThat(JSON.readTree(proxy.get("/health").body())
                        .at("/providers/0/tls")
                        .isMissingNode())
                .isTrue();
    }

    @Test
    void aProvidersOwnCaFileServesItAndNoOther() throws Exception {
        UpstreamSimulator other = new UpstreamSimulator(
                r -> UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")), ca.jettyServer());
        try {
            proxy = ProxyHarness.start(
                    """
                    providers:
                      secure: {kind: anthropic, base_url: "%s", api_key: k, tls: {ca_file: ["%s"]}}
                      other: {kind: anthropic, base_url: "%s", api_key: k}
                    route: [secure]
                    routes:
                      - {match: "other-*", chain: [other]}
                    """.formatted(upstream.baseUrl(), ca.caPem(), other.baseUrl()), Map.of(), CliOverrides.none());
            assertThat(message(false).statusCode()).isEqualTo(200);
            HttpResponse<String> r = proxy.post(
                    "/v1/messages",
                    "{\"model\":\"other-model\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    "content-type",
                    "application/json");
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(r.body()).contains("not trusted");
            assertThat(other.received()).isEmpty();
        } finally {
            other.close();
        }
    }

    @Test
    void insecureSkipVerifyPerProviderConnectsAndShowsInHealth() throws Exception {
        start("", Map.of());
        proxy.close();
        proxy = ProxyHarness.start("""
                providers:
                  secure: {kind: anthropic, base_url: "%s", api_key: k, tls: {insecure_skip_verify: true}}
                route: [secure]
                """.formatted(upstream.baseUrl()), Map.of(), CliOverrides.none());
        assertThat(message(false).statusCode()).isEqualTo(200);
        JsonNode health = JSON.readTree(proxy.get("/health").body());
        assertThat(health.at("/providers/0/tls/insecure_skip_verify").asBoolean())
                .isTrue();
    }

    @Test
    void insecureSkipVerifyAtTheTopLevelIsRefused() {
        assertThatThrownBy(() -> start("tls: {insecure_skip_verify: true}\n", Map.of()))
                .rootCause()
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tls.insecure_skip_verify")
                .hasMessageContaining("per provider");
    }

    @Test
    void aTokenRefreshOverHttpsTrustsTheSameBundles() throws Exception {
        try (RefreshServerSimulator refresh = new RefreshServerSimulator("native", ca.serverContext())) {
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
                      secure: {kind: anthropic, base_url: "%s", auth: {type: native, file: "%s", refresh_url: "%s"}}
                    route: [secure]
                    """.formatted(upstream.baseUrl(), file, refresh.nativeUrl());
            Map<String, String> env =
                    new HashMap<>(Map.of("SSL_CERT_FILE", ca.caPem().toString()));
            proxy = ProxyHarness.start(yaml, env, CliOverrides.none());
            HttpResponse<String> r = message(false);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(refresh.nativeCalls()).isEqualTo(1);
            assertThat(upstream.last().header("x-api-key")).isEqualTo(refresh.accessToken(1));
        }
    }

    @Test
    void anUntrustedRefreshEndpointIsExplained() throws Exception {
        try (RefreshServerSimulator refresh = new RefreshServerSimulator("native", ca.serverContext())) {
            Path file = dir.resolve("config.json");
            Files.writeString(
                    file,
                    JSON.createObjectNode()
                            .put("accessToken", "old")
                            .put("refreshToken", "ref")
                            .put("expiresAt", Instant.now().minusSeconds(60).toEpochMilli())
                            .toString());
            proxy = ProxyHarness.start(
                    """
                    providers:
                      secure: {kind: anthropic, base_url: "%s", auth: {type: native, file: "%s", refresh_url: "%s"}}
                    route: [secure]
                    """.formatted(upstream.baseUrl(), file, refresh.nativeUrl()), Map.of(), CliOverrides.none());
            HttpResponse<String> r = message(false);
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(JSON.readTree(r.body()).at("/error/message").asText())
                    .contains("refresh endpoint is not trusted")
                    .contains("SSL_CERT_FILE");
            assertThat(upstream.received()).isEmpty();
        }
    }

    @Test
    void aMalformedOrMissingBundleStopsTheStartNamingTheFile() throws Exception {
        Path bad = dir.resolve("corp-ca.pem");
        Files.writeString(bad, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> start("", Map.of("SSL_CERT_FILE", bad.toString())))
                .rootCause()
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("SSL_CERT_FILE")
                .hasMessageContaining(bad.toString())
                .hasMessageContaining("certificate 1");
        Path missing = dir.resolve("nowhere.pem");
        assertThatThrownBy(() -> start("tls: {ca_file: \"" + missing + "\"}\n", Map.of()))
                .rootCause()
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tls.ca_file")
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("cannot read");
    }
}
