package org.anthropicproxy.usage;

import static org.anthropicproxy.usage.UsageAggregatesTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.server.ClientAuth;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.OpenAiUpstreamScripts;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RecordedRequest;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Usage history through a real proxy: an Anthropic passthrough upstream and an OpenAI upstream (translated), streams
 * and whole answers, each answer with its own token counts. What the client saw is what the history holds, per
 * request and summed; a locked database never touches a request.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UsageIT {

    static final String CLIENT_KEY = "sk-client-usage-test";
    static final String ADMIN_KEY = "sk-admin-usage-test";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final AtomicInteger n = new AtomicInteger();
    private UpstreamSimulator anthropic;
    private UpstreamSimulator openai;
    private ProxyHarness proxy;
    private AnthropicClient sdk;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        anthropic = new UpstreamSimulator(this::anthropicAnswer);
        openai = new UpstreamSimulator(this::openAiAnswer);
        proxy = ProxyHarness.start(
                """
                providers:
                  anth: {kind: anthropic, base_url: "%s", api_key: a-key}
                  oai: {kind: openai, base_url: "%s", api_key: o-key, models: {"gpt-4o": "gpt-4o-2024-08-06"}}
                route: [anth]
                routes: [{match: "gpt-*", chain: [oai]}]
                client_keys: [%s]
                admin_keys: [%s]
                """.formatted(anthropic.baseUrl(), openai.baseUrl(), CLIENT_KEY, ADMIN_KEY),
                Map.of(),
                new CliOverrides(
                        null,
                        null,
                        null,
                        null,
                        null,
                        dir.resolve("quota_state.json").toString()));
        sdk = AnthropicOkHttpClient.builder()
                .baseUrl(proxy.baseUrl())
                .apiKey(CLIENT_KEY)
                .maxRetries(0)
                .timeout(Duration.ofSeconds(20))
                .build();
    }

    @AfterEach
    void stop() {
        sdk.close();
        proxy.close();
        anthropic.close();
        openai.close();
    }

    /** Token counts of the i-th answer: distinct per request, so a row mixed up with another shows. */
    private long[] counts() {
        int i = n.incrementAndGet();
        return new long[] {100 + i, 20 + 3L * i, 1000 + 7L * i, 50 + 11L * i};
    }

    private UpstreamScript anthropicAnswer(RecordedRequest r) {
        long[] c = counts();
        String usage = "\"input_tokens\": %d, \"cache_creation_input_tokens\": %d, \"cache_read_input_tokens\": %d"
                .formatted(c[0], c[3], c[2]);
        if (r.json().path("stream").asBoolean()) {
            String compact = usage.replace(" ", "");
            return UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse")
                    .replace(
                            "\"input_tokens\":12,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0",
                            compact)
                    .replace("\"output_tokens\":30", "\"output_tokens\":" + c[1]));
        }
        return UpstreamScript.json(
                200,
                Fixtures.text("anthropic/message-text.json")
                        .replaceAll(
                                "\"input_tokens\": 12,\\s*\"cache_creation_input_tokens\": 0,\\s*\"cache_read_input_tokens\": 0",
                                usage)
                        .replaceAll("\"output_tokens\": \\d+", "\"output_tokens\": " + c[1]));
    }

    private UpstreamScript openAiAnswer(RecordedRequest r) {
        long[] c = counts();
        // OpenAI counts cached tokens inside prompt_tokens and has no cache writes
        var usage = OpenAiUpstreamScripts.usage(c[0] + c[2], c[1], c[2]);
        if (r.json().path("stream").asBoolean()) {
            return OpenAiUpstreamScripts.stream("gpt-4o-2024-08-06")
                    .text("Hello there")
                    .finish("stop")
                    .usage(usage)
                    .done()
                    .script();
        }
        return OpenAiUpstreamScripts.completionScript("gpt-4o-2024-08-06", "Hello there", List.of(), "stop", usage);
    }

    private static MessageCreateParams params(String model) {
        return MessageCreateParams.builder()
                .model(model)
                .maxTokens(256)
                .addUserMessage("Hello")
                .build();
    }

    private Message call(String model, boolean stream) {
        if (!stream) {
            return sdk.messages().create(params(model));
        }
        MessageAccumulator acc = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> s = sdk.messages().createStreaming(params(model))) {
            s.stream().forEach(acc::accumulate);
        }
        return acc.message();
    }

    /** in, out, cache read, cache write, as the client saw them. */
    private static List<Long> seen(Message m) {
        var u = m.usage();
        return List.of(
                u.inputTokens(),
                u.outputTokens(),
                u.cacheReadInputTokens().orElse(0L),
                u.cacheCreationInputTokens().orElse(0L));
    }

    private JsonNode admin(String pathAndQuery, String key) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(proxy.baseUrl() + pathAndQuery))
                        .header("x-api-key", key)
                        .timeout(Duration.ofSeconds(20))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(r.body());
        ((com.fasterxml.jackson.databind.node.ObjectNode) body).put("_status", r.statusCode());
        return body;
    }

    @Test
    void historyHoldsWhatTheClientSawStreamsAndWholeAnswersPassthroughAndTranslated() throws Exception {
        List<List<Long>> seen = new ArrayList<>();
        long[] perProvider = new long[2];
        for (String model : List.of("claude-sonnet-4-5", "gpt-4o")) {
            for (boolean stream : List.of(false, true, false, true)) {
                List<Long> s = seen(call(model, stream));
                seen.add(s);
                perProvider[model.startsWith("gpt") ? 1 : 0] += s.get(0) + s.get(1) + s.get(2) + s.get(3);
            }
        }
        assertThat(seen).as("every answer carried its own counts").doesNotHaveDuplicates();
        waitFor(() -> proxy.app().usage().committed() == 8);

        JsonNode recent = admin("/v1/usage/recent?limit=50", ADMIN_KEY);
        assertThat(recent.get("requests")).hasSize(8);
        List<List<Long>> recorded = new ArrayList<>();
        String keyId = ClientAuth.keyId(ClientAuth.sha256(CLIENT_KEY));
        for (JsonNode r : recent.get("requests")) {
            recorded.add(List.of(
                    r.get("input_tokens").asLong(),
                    r.get("output_tokens").asLong(),
                    r.get("cache_read_input_tokens").asLong(),
                    r.get("cache_creation_input_tokens").asLong()));
            assertThat(r.get("key_id").asText()).isEqualTo(keyId).doesNotContain(CLIENT_KEY);
            assertThat(r.get("status").asInt()).isEqualTo(200);
            assertThat(r.get("provider").asText())
                    .isEqualTo(r.get("client_model").asText().startsWith("gpt") ? "oai" : "anth");
        }
        assertThat(recorded).containsExactlyInAnyOrderElementsOf(seen);
        assertThat(recent.get("requests").findValuesAsText("upstream_model"))
                .contains("gpt-4o-2024-08-06", "claude-sonnet-4-5");
        assertThat(recent.get("requests").findValues("stream").stream()
                        .filter(JsonNode::asBoolean)
                        .count())
                .isEqualTo(4);

        JsonNode byProvider = admin("/v1/usage?group_by=provider", ADMIN_KEY);
        assertThat(byProvider.get("group_by").asText()).isEqualTo("provider");
        Map<String, JsonNode> rows = new java.util.HashMap<>();
        byProvider.get("rows").forEach(r -> rows.put(r.get("key").asText(), r));
        assertThat(rows.get("anth").get("total_tokens").asLong()).isEqualTo(perProvider[0]);
        assertThat(rows.get("oai").get("total_tokens").asLong()).isEqualTo(perProvider[1]);
        JsonNode total = byProvider.get("total");
        assertThat(total.get("requests").asLong()).isEqualTo(8);
        assertThat(total.get("input_tokens").asLong())
                .isEqualTo(seen.stream().mapToLong(s -> s.get(0)).sum());
        assertThat(total.get("output_tokens").asLong())
                .isEqualTo(seen.stream().mapToLong(s -> s.get(1)).sum());
        assertThat(total.get("cache_read_input_tokens").asLong())
                .isEqualTo(seen.stream().mapToLong(s -> s.get(2)).sum());
        assertThat(total.get("cache_creation_input_tokens").asLong())
                .isEqualTo(seen.stream().mapToLong(s -> s.get(3)).sum());

        JsonNode byModel = admin("/v1/usage?group_by=model", ADMIN_KEY);
        assertThat(byModel.get("rows").findValuesAsText("key"))
                .containsExactlyInAnyOrder("claude-sonnet-4-5", "gpt-4o-2024-08-06");
        for (JsonNode r : byModel.get("rows")) {
            assertThat(r.get("cost_usd").isNull())
                    .as(r.get("key") + " priced")
                    .isEqualTo(r.get("key").asText().startsWith("gpt"));
        }
        JsonNode byKey = admin("/v1/usage?group_by=key", ADMIN_KEY);
        assertThat(byKey.get("rows").findValuesAsText("key")).containsExactly(keyId);
    }

    @Test
    void theApiNeedsAnAdminKeyAndNamesBadParameters() throws Exception {
        assertThat(admin("/v1/usage", CLIENT_KEY).get("_status").asInt()).isEqualTo(401);
        assertThat(admin("/v1/usage/recent", CLIENT_KEY).get("_status").asInt()).isEqualTo(401);
        JsonNode bad = admin("/v1/usage?from=2026-13-01", ADMIN_KEY);
        assertThat(bad.get("_status").asInt()).isEqualTo(400);
        assertThat(bad.at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(bad.at("/error/message").asText()).startsWith("from:");
        assertThat(admin("/v1/usage?group_by=hour", ADMIN_KEY)
                        .at("/error/message")
                        .asText())
                .startsWith("group_by:");
        assertThat(admin("/v1/usage?from=2026-12-08&to=2026-12-01", ADMIN_KEY)
                        .get("_status")
                        .asInt())
                .isEqualTo(400);
        assertThat(admin("/v1/usage/recent?limit=0", ADMIN_KEY)
                        .at("/error/message")
                        .asText())
                .startsWith("limit:");
        JsonNode empty = admin("/v1/usage?from=2026-01-01&to=2026-01-31&group_by=week", ADMIN_KEY);
        assertThat(empty.get("_status").asInt()).isEqualTo(200);
        assertThat(empty.get("rows")).isEmpty();
        assertThat(empty.at("/total/requests").asLong()).isZero();
        assertThat(empty.at("/total/cost_usd").asDouble()).isZero();
    }

    @Test
    void aLockedDatabaseWarnsOnceWhileRequestsGoOnAndItsRowsLandWhenItIsFree() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(UsageRecorder.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
        Path db = dir.resolve("usage.db");
        try (Connection locker = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            call("claude-sonnet-4-5", false);
            waitFor(() -> proxy.app().usage().committed() == 1);
            try (Statement s = locker.createStatement()) {
                s.execute("PRAGMA busy_timeout = 0");
                s.execute("BEGIN EXCLUSIVE");
                List<List<Long>> seen = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    seen.add(seen(call(i % 2 == 0 ? "claude-sonnet-4-5" : "gpt-4o", i % 2 == 1)));
                }
                assertThat(seen).allSatisfy(u -> assertThat(u.get(0)).isPositive());
                waitFor(() -> proxy.app().usage().failing());
                // requests go on while the store fails, and are answered in full
                assertThat(call("claude-sonnet-4-5", true).content()).isNotEmpty();
                assertThat(proxy.app().usage().committed()).isEqualTo(1);
                s.execute("COMMIT");
            }
        } finally {
            logger.detachAppender(log);
        }
        waitFor(() ->
                proxy.app().usage().committed() == 6 && !proxy.app().usage().failing());
        assertThat(log.list.stream().filter(e -> e.getLevel() == Level.WARN)).hasSize(1);
        assertThat(log.list.stream()
                        .filter(e -> e.getLevel() == Level.WARN)
                        .findFirst()
                        .orElseThrow()
                        .getFormattedMessage())
                .contains("usage.db")
                .contains("cannot be written");
        assertThat(admin("/v1/usage", ADMIN_KEY).at("/total/requests").asLong()).isEqualTo(6);
    }
}
