package org.anthropicproxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.MutableClock;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The Python anthropic_server.py's hybrid mode: native preferred, codebuddy when native's quota is used up. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HybridFailoverIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String QUOTA_BODY =
            "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"本周额度已用尽，请下周再试 (weekly limit reached)\"}}";
    private static final String CODEBUDDY_TEXT =
            "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.";

    @TempDir
    Path dir;

    private UpstreamSimulator nativeSim;
    private UpstreamSimulator codebuddySim;
    private ProxyHarness proxy;
    private AnthropicClient sdk;
    private MutableClock clock;
    private Path quotaFile;

    @BeforeEach
    void start() {
        nativeSim = new UpstreamSimulator(r -> r.json().path("stream").asBoolean()
                ? UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse"))
                : UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")));
        codebuddySim =
                new UpstreamSimulator(r -> UpstreamScript.sse(Fixtures.text("openai/stream-text-include-usage.sse")));
        // Wednesday 2026-11-25 10:00 local: the weekly reset is Monday 2026-11-30 00:00
        clock = MutableClock.atLocal("2026-11-25T10:00", ZoneId.systemDefault());
        quotaFile = dir.resolve("quota_state.json");
        proxy = ProxyHarness.start(
                """
                providers:
                  native: {base_url: "%s", api_key: native-key}
                  codebuddy: {base_url: "%s", api_key: codebuddy-key}
                """.formatted(nativeSim.baseUrl(), codebuddySim.baseUrl()),
                Map.of(),
                new CliOverrides(null, null, "hybrid", null, null, quotaFile.toString()),
                clock);
        sdk = AnthropicOkHttpClient.builder()
                .baseUrl(proxy.baseUrl())
                .apiKey("dummy")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(20))
                .build();
    }

    @AfterEach
    void stop() {
        sdk.close();
        proxy.close();
        nativeSim.close();
        codebuddySim.close();
    }

    private static MessageCreateParams params() {
        return MessageCreateParams.builder()
                .model("claude-sonnet-4-5")
                .maxTokens(512)
                .addUserMessage("Hello")
                .build();
    }

    private Message streamed() {
        MessageAccumulator acc = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> s = sdk.messages().createStreaming(params())) {
            s.stream().forEach(acc::accumulate);
        }
        return acc.message();
    }

    private JsonNode quotaState() throws Exception {
        return MAPPER.readTree(Files.readString(quotaFile));
    }

    @Test
    void quotaErrorMovesTheRequestToCodebuddyInvisiblyAndMarksNativeUntilMonday() throws Exception {
        nativeSim.enqueue(UpstreamScript.json(429, QUOTA_BODY));
        Message m = sdk.messages().create(params());
        assertThat(m.content().get(0).asText().text()).isEqualTo(CODEBUDDY_TEXT);
        assertThat(nativeSim.received()).hasSize(1);
        assertThat(codebuddySim.received()).hasSize(1);
        assertThat(codebuddySim.last().header("authorization")).isEqualTo("Bearer codebuddy-key");

        JsonNode state = quotaState();
        assertThat(state.at("/native/quota_exhausted").asBoolean()).isTrue();
        assertThat(Instant.parse(state.at("/native/reset_at").asText()))
                .isEqualTo(LocalDate.of(2026, 11, 30)
                        .atStartOfDay(ZoneId.systemDefault())
                        .toInstant());
        JsonNode view = MAPPER.readTree(proxy.get("/v1/quota").body());
        assertThat(view.at("/providers/native/exhausted").asBoolean()).isTrue();
        assertThat(view.at("/providers/native/time_until_reset").asText()).startsWith("4d 14h");

        // the next requests skip native entirely
        Message again = streamed();
        assertThat(again.content().get(0).asText().text()).isEqualTo(CODEBUDDY_TEXT);
        assertThat(nativeSim.received()).hasSize(1);

        // past Monday 00:00 native serves again
        clock.advance(Duration.ofDays(4).plusHours(14).plusMinutes(1));
        Message back = sdk.messages().create(params());
        assertThat(back.id()).isEqualTo("msg_01VdEjxAP5ahtHKrrRdNBteQ");
        assertThat(nativeSim.received()).hasSize(2);
    }

    @Test
    void streamingClientSeesNoErrorWhenNativeFailsBeforeContent() {
        nativeSim.enqueue(UpstreamScript.json(429, QUOTA_BODY));
        Message m = streamed();
        assertThat(m.content().get(0).asText().text()).isEqualTo(CODEBUDDY_TEXT);
        assertThat(codebuddySim.received()).hasSize(1);
    }

    @Test
    void errorEventBeforeTheFirstContentFailsOverInvisibly() {
        nativeSim.enqueue(UpstreamScript.sse(Fixtures.text("anthropic/stream-error-as-first-event.sse")));
        Message m = streamed();
        assertThat(m.content().get(0).asText().text()).isEqualTo(CODEBUDDY_TEXT);
    }

    @Test
    void temporaryRateLimitIsACooldownNotAWeeklyMark() throws Exception {
        nativeSim.enqueue(UpstreamScript.json(
                429,
                "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Number of requests has exceeded your rate limit\"}}",
                Map.of("retry-after", "20")));
        Message m = sdk.messages().create(params());
        assertThat(m.content().get(0).asText().text()).isEqualTo(CODEBUDDY_TEXT);
        JsonNode view = MAPPER.readTree(proxy.get("/v1/quota").body());
        assertThat(view.at("/providers/native/exhausted").asBoolean()).isFalse();
        assertThat(view.at("/providers/native/cooldown_until").asText()).isNotEmpty();
        clock.advance(Duration.ofSeconds(21));
        sdk.messages().create(params());
        assertThat(nativeSim.received()).hasSize(2);
    }

    @Test
    void clientErrorFromNativeIsReturnedNotFailedOver() throws Exception {
        String bad = Fixtures.text("anthropic/error-400-invalid-request.json");
        nativeSim.enqueue(UpstreamScript.json(400, bad));
        HttpResponse<String> r = proxy.post(
                "/v1/messages",
                "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).isEqualTo(bad);
        assertThat(codebuddySim.received()).isEmpty();
    }

    @Test
    void failureAfterContentBeganEndsWithAnErrorEventAndNoDuplicateContent() {
        nativeSim.enqueue(
                UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse")).dropAfter(5));
        HttpResponse<String> r = proxy.post(
                "/v1/messages",
                "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body())
                .contains("\"text\":\"Hello\"")
                .contains("event: error")
                .doesNotContain("message_stop");
        assertThat(r.body().indexOf("event: message_start")).isEqualTo(r.body().lastIndexOf("event: message_start"));
        assertThat(codebuddySim.received()).isEmpty();
    }

    @Test
    void everyProviderSpentIsA429WithAnHonestRetryAfter() throws Exception {
        nativeSim.enqueue(UpstreamScript.json(429, QUOTA_BODY));
        codebuddySim.enqueue(
                UpstreamScript.json(400, "{\"code\":14018,\"msg\":\"credits exhausted\",\"data\":{\"code\":14018}}"));
        HttpResponse<String> r = proxy.post(
                "/v1/messages",
                "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(429);
        JsonNode err = MAPPER.readTree(r.body());
        assertThat(err.at("/error/type").asText()).isEqualTo("rate_limit_error");
        assertThat(err.at("/error/message").asText()).contains("native").contains("codebuddy");
        long retryAfter = Long.parseLong(r.headers().firstValue("retry-after").orElseThrow());
        assertThat(retryAfter).isGreaterThan(3600);
        assertThat(r.headers().firstValue("x-should-retry")).contains("false"); // hours away: retrying cannot help

        HttpResponse<String> reset = proxy.post("/v1/quota/reset", "");
        assertThat(reset.statusCode()).isEqualTo(200);
        assertThat(MAPPER.readTree(reset.body())
                        .at("/providers/native/exhausted")
                        .asBoolean())
                .isFalse();
        assertThat(sdk.messages().create(params()).id()).isEqualTo("msg_01VdEjxAP5ahtHKrrRdNBteQ");
    }
}
