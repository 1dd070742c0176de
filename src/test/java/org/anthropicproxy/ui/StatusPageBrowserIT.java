package org.anthropicproxy.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.text.NumberFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.OpenAiUpstreamScripts;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.ThreadCensus;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in real Chromium: provider states after a scripted failover and quota exhaustion, totals equal to
 * what the client saw (exact digits), the reset button, a hostile model name shown as text, no console errors.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class StatusPageBrowserIT {

    private static final String CLIENT_KEY = "sk-client-page";
    private static final String ADMIN_KEY = "sk-admin-page";
    private static final String HOSTILE = "<img src=x onerror=alert(1)>";
    private static final String QUOTA_BODY =
            "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"本周额度已用尽，请下周再试 (weekly limit reached)\"}}";
    private static final String RATE_LIMITED =
            "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Number of request tokens has exceeded your per-minute rate limit\"}}";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final NumberFormat EXACT = NumberFormat.getIntegerInstance(Locale.US);

    @TempDir
    Path dir;

    private final AtomicInteger n = new AtomicInteger();
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private UpstreamScript anthropicAnswer() {
        int i = n.incrementAndGet();
        return UpstreamScript.json(
                200,
                Fixtures.text("anthropic/message-text.json")
                        .replaceAll(
                                "\"input_tokens\": 12,\\s*\"cache_creation_input_tokens\": 0,\\s*\"cache_read_input_tokens\": 0",
                                "\"input_tokens\": %d, \"cache_creation_input_tokens\": %d, \"cache_read_input_tokens\": %d"
                                        .formatted(1000 + 17 * i, 300 + i, 120_000 + 999 * i))
                        .replaceAll("\"output_tokens\": \\d+", "\"output_tokens\": " + (400 + 3 * i)));
    }

    private <T extends AutoCloseable> T opened(T c) {
        open.add(c);
        return c;
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode message(ProxyHarness proxy, String model) throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/v1/messages"))
                .header("content-type", "application/json")
                .header("x-api-key", CLIENT_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode()
                        .put("model", model)
                        .put("max_tokens", 64)
                        .set("messages", JSON.readTree("[{\"role\":\"user\",\"content\":\"Hi\"}]"))
                        .toString())));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    @Test
    void showsStatesTotalsAndResetsInChromium() throws Exception {
        UpstreamSimulator first = opened(new UpstreamSimulator(r -> anthropicAnswer()));
        UpstreamSimulator second = opened(new UpstreamSimulator(r -> anthropicAnswer()));
        UpstreamSimulator third = opened(new UpstreamSimulator(r -> anthropicAnswer()));
        UpstreamSimulator fourth = opened(new UpstreamSimulator(r -> OpenAiUpstreamScripts.completionScript(
                "gpt-4o-2024-08-06",
                "Hello",
                List.of(),
                "stop",
                OpenAiUpstreamScripts.usage(5_432 + 2_000, 321, 2_000))));
        ProxyHarness proxy = opened(ProxyHarness.start(
                """
                providers:
                  first: {kind: anthropic, base_url: "%s", api_key: k1}
                  second: {kind: anthropic, base_url: "%s", api_key: k2}
                  third: {kind: anthropic, base_url: "%s", api_key: k3, health: {consecutive_failures: 1}}
                  fourth: {kind: openai, base_url: "%s", api_key: k4}
                route: [first, second, third, fourth]
                client_keys: [%s]
                admin_keys: [%s]
                """.formatted(
                        first.baseUrl(), second.baseUrl(), third.baseUrl(), fourth.baseUrl(), CLIENT_KEY, ADMIN_KEY),
                Map.of(),
                new CliOverrides(
                        null,
                        null,
                        null,
                        null,
                        null,
                        dir.resolve("quota_state.json").toString())));

        List<JsonNode> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            answers.add(message(proxy, "claude-sonnet-4-5"));
        }
        answers.add(message(proxy, HOSTILE));
        // the scripted failover: first's weekly quota is gone, second is rate limited for a minute, third is
        // overloaded (ejected at its first failure), fourth answers
        first.enqueue(UpstreamScript.json(429, QUOTA_BODY));
        second.enqueue(UpstreamScript.json(429, RATE_LIMITED).withHeader("retry-after", "60"));
        third.enqueue(UpstreamScript.json(529, Fixtures.text("anthropic/error-529-overloaded.json")));
        answers.add(message(proxy, "claude-sonnet-4-5"));
        assertThat(fourth.received()).hasSize(1);
        waitFor(() -> proxy.app().usage().committed() == 5);

        long[] seen = new long[4];
        for (JsonNode a : answers) {
            JsonNode u = a.get("usage");
            seen[0] += u.get("input_tokens").asLong();
            seen[1] += u.get("output_tokens").asLong();
            seen[2] += u.path("cache_read_input_tokens").asLong();
            seen[3] += u.path("cache_creation_input_tokens").asLong();
        }

        JsonNode page = StatusPageDriver.run(proxy.baseUrl() + "/ui/", ADMIN_KEY, "inspect");
        // gathered over the whole visit, an automatic refresh included
        assertThat(page.get("consoleErrors")).as("console errors").isEmpty();
        assertThat(page.get("pageErrors")).as("page errors").isEmpty();
        assertThat(page.get("dialogs")).as("nothing ran an alert").isEmpty();
        assertThat(page.get("keyStored").asBoolean()).isTrue();
        assertThat(page.get("keyInUrl").asBoolean()).isFalse();
        assertThat(page.get("error").isNull()).as(page.path("error").asText()).isTrue();

        JsonNode providers = page.get("providers");
        assertThat(providers.at("/first/state").asText()).isEqualTo("exhausted");
        assertThat(providers.at("/first/label").asText()).isEqualTo("quota exhausted");
        assertThat(providers.at("/first/text").asText())
                .contains("quota back in")
                .contains("weekly limit reached");
        assertThat(providers.at("/second/state").asText()).isEqualTo("cooling_down");
        assertThat(providers.at("/second/label").asText()).isEqualTo("cooling down");
        assertThat(providers.at("/second/text").asText()).contains("back in");
        assertThat(providers.at("/third/state").asText()).isEqualTo("ejected");
        assertThat(providers.at("/third/label").asText()).isEqualTo("ejected");
        assertThat(providers.at("/fourth/state").asText()).isEqualTo("available");
        assertThat(providers.at("/first/requestsToday").asText()).isEqualTo("4");
        assertThat(providers.at("/fourth/requestsToday").asText()).isEqualTo("1");

        JsonNode total = page.get("total");
        assertThat(total.get("requests").asText()).isEqualTo("5");
        assertThat(total.get("input_tokens").asText()).isEqualTo(EXACT.format(seen[0]));
        assertThat(total.get("output_tokens").asText()).isEqualTo(EXACT.format(seen[1]));
        assertThat(total.get("cache_read_input_tokens").asText()).isEqualTo(EXACT.format(seen[2]));
        assertThat(total.get("cache_creation_input_tokens").asText()).isEqualTo(EXACT.format(seen[3]));
        assertThat(total.get("total_tokens").asText()).isEqualTo(EXACT.format(seen[0] + seen[1] + seen[2] + seen[3]));
        assertThat(page.get("models").findValuesAsText("model"))
                .containsExactlyInAnyOrder(HOSTILE, "claude-sonnet-4-5");

        assertThat(page.get("injected").asInt()).as("img elements injected").isZero();
        assertThat(page.get("recent")).hasSize(5);
        assertThat(page.get("recent").toString())
                .contains(JSON.writeValueAsString(HOSTILE).replace("\"", ""));
        assertThat(page.get("recent").get(0).get(2).asText())
                .contains("fourth / ")
                .contains("3 failovers");
        assertThat(page.get("svgBars").asInt()).isPositive();
        assertThat(page.at("/afterRefresh/injected").asInt()).isZero();

        JsonNode reset = StatusPageDriver.run(proxy.baseUrl() + "/ui/", ADMIN_KEY, "reset", "first");
        assertThat(reset.at("/before/state").asText()).isEqualTo("exhausted");
        assertThat(reset.at("/providers/first/state").asText()).isEqualTo("available");
        assertThat(reset.get("dialogs").findValuesAsText("type")).containsExactly("confirm");
        assertThat(reset.get("consoleErrors")).isEmpty();
        HttpResponse<String> quota = send(HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/v1/quota"))
                .header("x-api-key", ADMIN_KEY));
        assertThat(JSON.readTree(quota.body()).at("/providers/first/exhausted").asBoolean())
                .isFalse();
    }

    @Test
    void aBrowserAtTheRootLandsOnThePageWhileProbesGetWhatTheyAlwaysGot() throws Exception {
        UpstreamSimulator upstream = opened(new UpstreamSimulator(r -> anthropicAnswer()));
        ProxyHarness proxy = opened(ProxyHarness.start(
                """
                providers:
                  only: {kind: anthropic, base_url: "%s", api_key: k}
                route: [only]
                """.formatted(upstream.baseUrl()),
                Map.of(),
                new CliOverrides(
                        null,
                        null,
                        null,
                        null,
                        null,
                        dir.resolve("quota_state.json").toString())));

        JsonNode page = StatusPageDriver.run(proxy.baseUrl() + "/", null, "inspect");
        assertThat(page.get("url").asText()).isEqualTo(proxy.baseUrl() + "/ui/");
        assertThat(page.get("consoleErrors")).isEmpty();
        assertThat(page.get("pageErrors")).isEmpty();
        assertThat(page.at("/providers/only/state").asText()).isEqualTo("available");
        assertThat(page.at("/total/requests").asText()).isEqualTo("0");

        String root = proxy.baseUrl() + "/";
        assertThat(send(HttpRequest.newBuilder(URI.create(root)).method("HEAD", HttpRequest.BodyPublishers.noBody()))
                        .statusCode())
                .isEqualTo(200);
        HttpResponse<String> probe = send(HttpRequest.newBuilder(URI.create(root)));
        assertThat(probe.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(probe.body()).get("status").asText()).isEqualTo("ok");
        HttpResponse<String> browser = send(
                HttpRequest.newBuilder(URI.create(root)).header("accept", "text/html,application/xhtml+xml,*/*;q=0.8"));
        assertThat(browser.statusCode()).isEqualTo(302);
        assertThat(browser.headers().firstValue("location")).hasValue("/ui/");
        HttpResponse<String> ui = send(HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/ui/")));
        assertThat(ui.headers().firstValue("content-security-policy").orElseThrow())
                .contains("script-src 'self'");
        assertThat(ui.body()).doesNotContain("http://").doesNotContain("https://");
        assertThat(send(HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/ui/missing.js")))
                        .statusCode())
                .isEqualTo(404);
        assertThat(send(HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/ui/"))
                                .POST(HttpRequest.BodyPublishers.noBody()))
                        .statusCode())
                .isEqualTo(405);
    }

    private static void waitFor(BooleanSupplier condition) {
        try {
            assertThat(ThreadCensus.await(Duration.ofSeconds(20), condition))
                    .as("condition not met in time")
                    .isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
