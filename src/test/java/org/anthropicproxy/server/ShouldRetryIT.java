package org.anthropicproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code x-should-retry}: {@code false} on the proxy's own answers a retry cannot fix (client key, validation, route,
 * no credential anywhere in the chain, whose 401 names every provider tried and its login); absent on answers a retry
 * may fix; the upstream's own value passed through, in passthrough and in translation.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ShouldRetryIT {

    private static final String BODY =
            "{\"model\":\"%s\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String KEY = "c1";

    @TempDir
    static Path dir;

    private static UpstreamSimulator anthropic;
    private static UpstreamSimulator openai;
    private static ProxyHarness proxy;

    @BeforeAll
    static void start() throws Exception {
        anthropic = new UpstreamSimulator(r -> UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")));
        openai =
                new UpstreamSimulator(r -> UpstreamScript.json(200, Fixtures.text("openai/chat-completion-text.json")));
        Path empty = Files.createDirectories(dir.resolve("no-login"));
        proxy = ProxyHarness.start("""
                client_keys: [%s]
                providers:
                  pass: {kind: anthropic, base_url: "%s", api_key: up}
                  tr: {kind: openai, base_url: "%s", api_key: up}
                  first: {kind: anthropic, base_url: "%s", auth: {type: native, file: "%s"}}
                  second: {kind: openai, base_url: "%s", auth: {type: codebuddy, file: "%s"}}
                routes:
                  - {match: "nocred-*", chain: [first, second]}
                  - {match: "solo-*", chain: [second]}
                  - {match: "tr-*", chain: [tr]}
                route: [pass]
                """.formatted(
                        KEY,
                        anthropic.baseUrl(),
                        openai.baseUrl(),
                        anthropic.baseUrl(),
                        empty.resolve("config.json"),
                        openai.baseUrl(),
                        empty.resolve("Tencent-Cloud.coding-copilot.info")));
    }

    @AfterAll
    static void stop() {
        proxy.close();
        anthropic.close();
        openai.close();
    }

    private static HttpResponse<String> post(String model, String... headers) {
        return proxy.post("/v1/messages", BODY.formatted(model), headers);
    }

    private static HttpResponse<String> postWithKey(String body) {
        return proxy.post("/v1/messages", body, "x-api-key", KEY, "content-type", "application/json");
    }

    private static String shouldRetry(HttpResponse<String> r) {
        return r.headers().firstValue("x-should-retry").orElse(null);
    }

    @Test
    void aMissingOrWrongClientKeyIsNotWorthARetry() {
        HttpResponse<String> missing = post("claude-sonnet-4-5");
        HttpResponse<String> wrong = post("claude-sonnet-4-5", "x-api-key", "nope");

        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(shouldRetry(missing)).isEqualTo("false");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(shouldRetry(wrong)).isEqualTo("false");
    }

    @Test
    void anInvalidRequestIsNotWorthARetry() {
        HttpResponse<String> noMaxTokens = postWithKey("{\"model\":\"m\",\"messages\":[]}");
        HttpResponse<String> notJson = postWithKey("{");

        assertThat(noMaxTokens.statusCode()).isEqualTo(400);
        assertThat(noMaxTokens.body()).contains("max_tokens");
        assertThat(shouldRetry(noMaxTokens)).isEqualTo("false");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(shouldRetry(notJson)).isEqualTo("false");
    }

    @Test
    void aChainWithoutAnyCredentialNamesEveryProviderAndItsLoginAndIsNotWorthARetry() {
        HttpResponse<String> r = post("nocred-model", "x-api-key", KEY);

        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(shouldRetry(r)).isEqualTo("false");
        assertThat(r.body())
                .contains("authentication_error")
                .contains("1) provider 'first': no usable credential")
                .contains("claude-internal")
                .contains("2) provider 'second': no usable credential")
                .contains("codebuddy");
    }

    @Test
    void aLoneProviderWithoutCredentialSaysWhyAndIsNotWorthARetry() {
        HttpResponse<String> r = post("solo-model", "x-api-key", KEY);

        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(shouldRetry(r)).isEqualTo("false");
        assertThat(r.body())
                .contains("provider 'second': no usable credential")
                .contains("codebuddy")
                .doesNotContain("provider 'first'");
    }

    @Test
    void anUpstreamOverloadStaysRetryableAndTheUpstreamsOwnAdviceIsPassedThrough() {
        anthropic.enqueue(UpstreamScript.json(
                529, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"busy\"}}"));
        HttpResponse<String> overloaded = post("claude-sonnet-4-5", "x-api-key", KEY);
        anthropic.enqueue(UpstreamScript.json(
                400,
                "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"odd\"}}",
                Map.of("x-should-retry", "true")));
        HttpResponse<String> advised = post("claude-sonnet-4-5", "x-api-key", KEY);

        assertThat(overloaded.statusCode()).isEqualTo(529);
        assertThat(shouldRetry(overloaded)).isNull();
        assertThat(advised.statusCode()).isEqualTo(400);
        assertThat(shouldRetry(advised)).isEqualTo("true");
    }

    @ParameterizedTest(name = "reset in {0} s -> x-should-retry {1}")
    @CsvSource({"120, ", "604800, false"})
    void aSpentChainIsWorthARetryOnlyWhenItsResetIsNear(long resetInSeconds, String expected) throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Path quota = Files.createTempDirectory(dir, "quota").resolve("quota_state.json");
        Files.writeString(quota, """
                {"version": 2,
                 "one": {"quota_exhausted": true, "exhausted_at": "%1$s", "reset_at": "%2$s"},
                 "two": {"quota_exhausted": true, "exhausted_at": "%1$s", "reset_at": "%2$s"}}
                """.formatted(now, now.plusSeconds(resetInSeconds)));
        try (ProxyHarness spent = ProxyHarness.start(
                """
                providers:
                  one: {kind: anthropic, base_url: "%1$s", api_key: up}
                  two: {kind: anthropic, base_url: "%1$s", api_key: up}
                route: [one, two]
                """.formatted(anthropic.baseUrl()),
                Map.of(),
                new org.anthropicproxy.config.CliOverrides(null, 0, null, null, null, quota.toString()))) {
            HttpResponse<String> r = spent.post("/v1/messages", BODY.formatted("claude-sonnet-4-5"));

            assertThat(r.statusCode()).isEqualTo(429);
            assertThat(r.body()).contains("one until " + now.plusSeconds(resetInSeconds));
            assertThat(shouldRetry(r)).isEqualTo(expected);
        }
    }

    @Test
    void aTranslatedUpstreamsOwnAdviceIsPassedThrough() {
        openai.enqueue(UpstreamScript.json(
                429,
                "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}",
                Map.of("x-should-retry", "false")));
        HttpResponse<String> r = post("tr-model", "x-api-key", KEY);

        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(shouldRetry(r)).isEqualTo("false");
    }
}
