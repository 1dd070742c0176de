package org.anthropicproxy.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.config.ConfigException;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.MutableClock;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.SocketUpstream;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Health ejection and panic routing through the running proxy: a hybrid chain of two simulated upstreams, time moved
 * by an injected clock (no sleeps). Each case asserts what the client got and which upstream saw which request; a
 * {@link SocketUpstream} that resets every connection it accepts stands for a primary refusing connections, and its
 * accept count shows whether the proxy tried it at all.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthFailoverIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String REQUEST =
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String NATIVE_ID = "msg_01VdEjxAP5ahtHKrrRdNBteQ";
    private static final String ANTHROPIC_500 =
            "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}";
    private static final String OPENAI_500 =
            "{\"error\":{\"message\":\"upstream exploded\",\"type\":\"server_error\",\"code\":null}}";
    private static final String CREDIT_TOO_LOW =
            "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":"
                    + "\"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.\"}}";

    private final List<AutoCloseable> open = new ArrayList<>();
    private final MutableClock clock = MutableClock.atLocal("2026-11-25T10:00", ZoneId.systemDefault());
    private ProxyHarness proxy;

    @AfterEach
    void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T c) {
        open.add(c);
        return c;
    }

    private UpstreamSimulator nativeSim() {
        return keep(new UpstreamSimulator(r -> UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json"))));
    }

    private UpstreamSimulator codebuddySim() {
        return keep(
                new UpstreamSimulator(r -> UpstreamScript.sse(Fixtures.text("openai/stream-text-include-usage.sse"))));
    }

    /** Every connection reset as soon as it is accepted: the client sees the upstream as unreachable. */
    private SocketUpstream refusing() throws IOException {
        return keep(new SocketUpstream(SocketUpstream.Conn::reset));
    }

    private void startHybrid(String nativeUrl, String codebuddyUrl, String extra) {
        proxy = keep(ProxyHarness.start(
                """
                providers:
                  native: {base_url: "%s", api_key: native-key}
                  codebuddy: {base_url: "%s", api_key: codebuddy-key}
                %s
                """.formatted(nativeUrl, codebuddyUrl, extra),
                Map.of(),
                new CliOverrides(null, null, "hybrid", null, null, null),
                clock));
    }

    private HttpResponse<String> send() {
        return proxy.post("/v1/messages", REQUEST, "content-type", "application/json");
    }

    private JsonNode quota(String provider) throws IOException {
        return MAPPER.readTree(proxy.get("/v1/quota").body()).path("providers").path(provider);
    }

    private static JsonNode error(HttpResponse<String> r) throws IOException {
        return MAPPER.readTree(r.body()).path("error");
    }

    @Test
    void bothAnswering500GivesTheClientA500NamingBothAndTheNextRequestGoesToThePrimary() throws Exception {
        UpstreamSimulator nativeSim = nativeSim();
        UpstreamSimulator codebuddySim = codebuddySim();
        startHybrid(nativeSim.baseUrl(), codebuddySim.baseUrl(), "");
        nativeSim.enqueue(UpstreamScript.json(500, ANTHROPIC_500));
        codebuddySim.enqueue(UpstreamScript.json(500, OPENAI_500));

        HttpResponse<String> failed = send();
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(error(failed).path("type").asText()).isEqualTo("api_error");
        String message = error(failed).path("message").asText();
        assertThat(message)
                .contains("native: HTTP 500")
                .contains("Internal server error")
                .contains("codebuddy: HTTP 500")
                .contains("upstream exploded")
                .doesNotContain("\n")
                .doesNotContain("native-key")
                .doesNotContain("codebuddy-key");
        assertThat(failed.headers().firstValue("retry-after")).isEmpty();
        assertThat(nativeSim.received()).hasSize(1);
        assertThat(codebuddySim.received()).hasSize(1);
        assertThat(quota("native").path("state").asText()).isEqualTo("available");
        assertThat(quota("native").path("consecutive_failures").asInt()).isEqualTo(1);

        HttpResponse<String> next = send();
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(MAPPER.readTree(next.body()).path("id").asText()).isEqualTo(NATIVE_ID);
        assertThat(nativeSim.received()).hasSize(2);
        assertThat(codebuddySim.received()).hasSize(1);
        assertThat(quota("native").path("consecutive_failures").asInt()).isZero();
        assertThat(quota("native").path("reason").asText()).contains("HTTP 500");
    }

    @Test
    void fourRequestsThatBothAnswer500AreFollowedByAServedRequest() throws Exception {
        UpstreamSimulator nativeSim = nativeSim();
        UpstreamSimulator codebuddySim = codebuddySim();
        startHybrid(nativeSim.baseUrl(), codebuddySim.baseUrl(), "");
        for (int i = 1; i <= 4; i++) {
            nativeSim.enqueue(UpstreamScript.json(500, ANTHROPIC_500));
            codebuddySim.enqueue(UpstreamScript.json(500, OPENAI_500));
            HttpResponse<String> r = send();
            assertThat(r.statusCode()).as("request %d", i).isEqualTo(500);
            assertThat(error(r).path("type").asText()).isEqualTo("api_error");
            // tried every time: the fourth request is panic-routed to both ejected providers
            assertThat(nativeSim.received()).hasSize(i);
            assertThat(codebuddySim.received()).hasSize(i);
        }
        assertThat(quota("native").path("state").asText()).isEqualTo("ejected");
        assertThat(quota("codebuddy").path("state").asText()).isEqualTo("ejected");

        HttpResponse<String> ok = send();
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(MAPPER.readTree(ok.body()).path("id").asText()).isEqualTo(NATIVE_ID);
        assertThat(nativeSim.received()).hasSize(5);
        assertThat(codebuddySim.received()).hasSize(4);
        JsonNode back = quota("native");
        assertThat(back.path("state").asText()).isEqualTo("available");
        assertThat(back.path("until").isNull()).isTrue();
        assertThat(back.path("available").asBoolean()).isTrue();
        assertThat(quota("codebuddy").path("state").asText()).isEqualTo("ejected");
    }

    @Test
    void aPrimaryRefusingConnectionsIsEjectedAfterThreeAndProbedByOneRequestWhenTheEjectionEnds() throws Exception {
        SocketUpstream primary = refusing();
        UpstreamSimulator codebuddySim = codebuddySim();
        startHybrid(primary.baseUrl(), codebuddySim.baseUrl(), "");

        for (int i = 1; i <= 10; i++) {
            HttpResponse<String> r = send();
            assertThat(r.statusCode()).as("request %d", i).isEqualTo(200);
            assertThat(r.body()).contains("I'm unable to provide real-time weather updates");
            assertThat(codebuddySim.received()).hasSize(i);
            assertThat(primary.accepted())
                    .as("connections to the primary after request %d", i)
                    .isEqualTo(Math.min(i, 3));
        }
        JsonNode ejected = quota("native");
        assertThat(ejected.path("state").asText()).isEqualTo("ejected");
        assertThat(Instant.parse(ejected.path("until").asText()))
                .isEqualTo(clock.instant().plusSeconds(30));
        assertThat(ejected.path("reason").asText()).contains("unreachable");
        assertThat(ejected.path("consecutive_failures").asInt()).isEqualTo(3);
        assertThat(ejected.path("available").asBoolean()).isFalse();
        JsonNode health = MAPPER.readTree(proxy.get("/health").body());
        JsonNode nativeHealth = null;
        for (JsonNode p : health.path("providers")) {
            if (p.path("name").asText().equals("native")) {
                nativeHealth = p;
            }
        }
        assertThat(nativeHealth).isNotNull();
        assertThat(nativeHealth.path("state").asText()).isEqualTo("ejected");
        assertThat(nativeHealth.path("consecutive_failures").asInt()).isEqualTo(3);
        assertThat(health.at("/quota/providers/native/state").asText()).isEqualTo("ejected");
        String metrics = proxy.get("/metrics").body();
        assertThat(metrics)
                .contains("anthropic_proxy_provider_ejections_total{provider=\"native\"} 1.0")
                .contains("anthropic_proxy_provider_state{provider=\"native\",state=\"ejected\"} 1.0")
                .contains("anthropic_proxy_provider_state{provider=\"codebuddy\",state=\"available\"} 1.0");

        // the ejection ends; the primary works again and the next real request is the probe
        clock.advance(Duration.ofSeconds(31));
        String message = Fixtures.text("anthropic/message-text.json");
        primary.behave(c -> c.readRequest().head(200, "application/json").write(message));
        HttpResponse<String> probe = send();
        assertThat(probe.statusCode()).isEqualTo(200);
        assertThat(MAPPER.readTree(probe.body()).path("id").asText()).isEqualTo(NATIVE_ID);
        assertThat(primary.accepted()).isEqualTo(4);
        assertThat(codebuddySim.received()).hasSize(10);
        assertThat(quota("native").path("state").asText()).isEqualTo("available");

        assertThat(send().statusCode()).isEqualTo(200);
        assertThat(primary.accepted()).isEqualTo(5);
        assertThat(codebuddySim.received()).hasSize(10);
    }

    @Test
    void aQuotaResetAlsoEndsThisInstancesEjection() throws Exception {
        SocketUpstream primary = refusing();
        UpstreamSimulator codebuddySim = codebuddySim();
        startHybrid(primary.baseUrl(), codebuddySim.baseUrl(), "");
        for (int i = 0; i < 3; i++) {
            assertThat(send().statusCode()).isEqualTo(200);
        }
        assertThat(quota("native").path("state").asText()).isEqualTo("ejected");
        HttpResponse<String> reset = proxy.post("/v1/quota/reset?provider=native", "");
        assertThat(MAPPER.readTree(reset.body()).at("/providers/native/state").asText())
                .isEqualTo("available");
        assertThat(MAPPER.readTree(reset.body())
                        .at("/providers/native/consecutive_failures")
                        .asInt())
                .isZero();
        assertThat(proxy.get("/metrics").body())
                .contains("anthropic_proxy_provider_ejections_total{provider=\"native\"} 1.0");
        assertThat(send().statusCode()).isEqualTo(200);
        assertThat(primary.accepted()).isEqualTo(4);
    }

    @Test
    void aFailedProbeEjectsAgainAtOnceForTwiceAsLong() throws Exception {
        SocketUpstream primary = refusing();
        UpstreamSimulator codebuddySim = codebuddySim();
        startHybrid(primary.baseUrl(), codebuddySim.baseUrl(), "");
        for (int i = 0; i < 3; i++) {
            assertThat(send().statusCode()).isEqualTo(200);
        }
        clock.advance(Duration.ofSeconds(30));
        assertThat(send().statusCode()).isEqualTo(200);
        assertThat(primary.accepted()).isEqualTo(4);
        JsonNode again = quota("native");
        assertThat(again.path("state").asText()).isEqualTo("ejected");
        assertThat(Instant.parse(again.path("until").asText()))
                .isEqualTo(clock.instant().plusSeconds(60));
        assertThat(send().statusCode()).isEqualTo(200);
        assertThat(primary.accepted()).isEqualTo(4);
        assertThat(codebuddySim.received()).hasSize(5);
    }

    @Test
    void everyProviderEjectedIsStillTriedEarliestReturningFirstAndServesOnceOneRecovers() throws Exception {
        SocketUpstream primary = refusing();
        SocketUpstream secondary = refusing();
        proxy = keep(ProxyHarness.start(
                """
                providers:
                  primary: {kind: anthropic, base_url: "%s", api_key: k1}
                  secondary: {kind: anthropic, base_url: "%s", api_key: k2, health: {base_ejection: 10s}}
                route: [primary, secondary]
                """.formatted(primary.baseUrl(), secondary.baseUrl()), Map.of(), CliOverrides.none(), clock));
        for (int i = 1; i <= 3; i++) {
            HttpResponse<String> r = send();
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(error(r).path("message").asText())
                    .matches(
                            "Every provider failed: primary: upstream 127\\.0\\.0\\.1:\\d+ unreachable: .+; secondary: upstream .+ unreachable: .+");
        }
        assertThat(quota("primary").path("state").asText()).isEqualTo("ejected");
        assertThat(quota("secondary").path("state").asText()).isEqualTo("ejected");
        assertThat(primary.accepted()).isEqualTo(3);
        assertThat(secondary.accepted()).isEqualTo(3);

        // both ejected: tried anyway, the secondary first because its ejection (10 s) ends before the primary's (30 s)
        HttpResponse<String> panic = send();
        assertThat(panic.statusCode()).isEqualTo(502);
        assertThat(error(panic).path("message").asText())
                .matches(
                        "Every provider failed: secondary: upstream .+ unreachable: .+; primary: upstream .+ unreachable: .+");
        assertThat(primary.accepted()).isEqualTo(4);
        assertThat(secondary.accepted()).isEqualTo(4);

        String message = Fixtures.text("anthropic/message-text.json");
        primary.behave(c -> c.readRequest().head(200, "application/json").write(message));
        HttpResponse<String> served = send();
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(MAPPER.readTree(served.body()).path("id").asText()).isEqualTo(NATIVE_ID);
        assertThat(secondary.accepted()).isEqualTo(5);
        assertThat(primary.accepted()).isEqualTo(5);
        assertThat(quota("primary").path("state").asText()).isEqualTo("available");
        assertThat(quota("secondary").path("state").asText()).isEqualTo("ejected");

        // with one provider available again, the ejected one is left alone
        assertThat(send().statusCode()).isEqualTo(200);
        assertThat(primary.accepted()).isEqualTo(6);
        assertThat(secondary.accepted()).isEqualTo(5);
    }

    @Test
    void anEjectedProviderIsTheLastResortWhenTheAvailableOnesFail() throws Exception {
        SocketUpstream primary = refusing();
        UpstreamSimulator codebuddySim = codebuddySim();
        startHybrid(primary.baseUrl(), codebuddySim.baseUrl(), "");
        for (int i = 0; i < 3; i++) {
            assertThat(send().statusCode()).isEqualTo(200);
        }
        assertThat(quota("native").path("state").asText()).isEqualTo("ejected");

        String message = Fixtures.text("anthropic/message-text.json");
        primary.behave(c -> c.readRequest().head(200, "application/json").write(message));
        codebuddySim.enqueue(UpstreamScript.json(500, OPENAI_500));
        HttpResponse<String> r = send();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(MAPPER.readTree(r.body()).path("id").asText()).isEqualTo(NATIVE_ID);
        assertThat(codebuddySim.received()).hasSize(4);
        assertThat(primary.accepted()).isEqualTo(4);
        assertThat(quota("native").path("state").asText()).isEqualTo("available");
    }

    @Test
    void aPerModelChainEjectsAndProbesTheSameWay() throws Exception {
        SocketUpstream primary = refusing();
        UpstreamSimulator codebuddySim = codebuddySim();
        startHybrid(
                primary.baseUrl(),
                codebuddySim.baseUrl(),
                "route: [codebuddy]\nroutes: [{match: \"claude-sonnet-*\", chain: [native, codebuddy]}]");
        for (int i = 1; i <= 5; i++) {
            assertThat(send().statusCode()).isEqualTo(200);
            assertThat(primary.accepted()).isEqualTo(Math.min(i, 3));
        }
        assertThat(codebuddySim.received()).hasSize(5);
        clock.advance(Duration.ofSeconds(30));
        String message = Fixtures.text("anthropic/message-text.json");
        primary.behave(c -> c.readRequest().head(200, "application/json").write(message));
        HttpResponse<String> probe = send();
        assertThat(MAPPER.readTree(probe.body()).path("id").asText()).isEqualTo(NATIVE_ID);
        assertThat(primary.accepted()).isEqualTo(4);
    }

    @Test
    void everyProviderRefusingConnectionsIsA502NamingBoth() throws Exception {
        startHybrid("http://127.0.0.1:" + closedPort(), "http://127.0.0.1:" + closedPort(), "");
        HttpResponse<String> r = send();
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(error(r).path("type").asText()).isEqualTo("api_error");
        assertThat(error(r).path("message").asText())
                .matches(
                        "Every provider failed: native: upstream 127\\.0\\.0\\.1:\\d+ unreachable: .+; codebuddy: upstream 127\\.0\\.0\\.1:\\d+ unreachable: .+")
                .doesNotContain("\n");
        assertThat(r.headers().firstValue("retry-after")).isEmpty();
    }

    @Test
    void anthropicsCreditBalanceTooLowFailsOverInvisiblyAndMarksThePrimaryExhausted() throws Exception {
        UpstreamSimulator nativeSim = nativeSim();
        UpstreamSimulator codebuddySim = codebuddySim();
        startHybrid(nativeSim.baseUrl(), codebuddySim.baseUrl(), "");
        nativeSim.enqueue(UpstreamScript.json(400, CREDIT_TOO_LOW));
        HttpResponse<String> r = send();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("I'm unable to provide real-time weather updates");
        JsonNode state = quota("native");
        assertThat(state.path("state").asText()).isEqualTo("exhausted");
        assertThat(state.path("exhausted").asBoolean()).isTrue();
        assertThat(state.path("reason").asText()).contains("credit balance is too low");

        assertThat(send().statusCode()).isEqualTo(200);
        assertThat(nativeSim.received()).hasSize(1);
        assertThat(codebuddySim.received()).hasSize(2);

        // any other 400 is the client's own: returned as is, never failed over (with native back in the chain)
        proxy.post("/v1/quota/reset", "");
        String bad = Fixtures.text("anthropic/error-400-invalid-request.json");
        nativeSim.enqueue(UpstreamScript.json(400, bad));
        HttpResponse<String> invalid = send();
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(invalid.body()).isEqualTo(bad);
        assertThat(codebuddySim.received()).hasSize(2);
    }

    @Test
    void everyProviderExhaustedSoonIsA429ThatMayBeRetried() throws Exception {
        UpstreamSimulator nativeSim = nativeSim();
        UpstreamSimulator codebuddySim = codebuddySim();
        startHybrid(nativeSim.baseUrl(), codebuddySim.baseUrl(), "");
        nativeSim.enqueue(
                UpstreamScript.json(
                        429,
                        "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"5-hour limit reached, try again in 2m\"}}"));
        codebuddySim.enqueue(
                UpstreamScript.json(
                        429,
                        "{\"error\":{\"message\":\"quota exceeded, try again in 4m\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}"));
        HttpResponse<String> r = send();
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(error(r).path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(error(r).path("message").asText()).contains("native until").contains("codebuddy until");
        assertThat(r.headers().firstValue("retry-after")).contains("120");
        assertThat(r.headers().firstValue("x-should-retry")).isEmpty();

        // while both are spent nothing is tried
        HttpResponse<String> again = send();
        assertThat(again.statusCode()).isEqualTo(429);
        assertThat(nativeSim.received()).hasSize(1);
        assertThat(codebuddySim.received()).hasSize(1);
        assertThat(quota("codebuddy").path("state").asText()).isEqualTo("exhausted");

        clock.advance(Duration.ofMinutes(2));
        assertThat(send().statusCode()).isEqualTo(200);
        assertThat(nativeSim.received()).hasSize(2);
    }

    @Test
    void unknownHealthKeysAreRejectedNamingKeyAndFile() {
        assertThatThrownBy(() -> ProxyHarness.start("""
                providers:
                  native: {api_key: k, health: {consecutive_failure: 5}}
                """, Map.of(), CliOverrides.none(), clock))
                .rootCause()
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("providers.native.health: unknown key 'consecutive_failure'")
                .hasMessageContaining("proxy-config");
        assertThatThrownBy(() -> ProxyHarness.start("""
                health: {base_ejection: soon}
                providers:
                  native: {api_key: k}
                """, Map.of(), CliOverrides.none(), clock))
                .rootCause()
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("health.base_ejection: 'soon' is not a duration");
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
