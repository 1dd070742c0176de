package org.anthropicproxy.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.InternalServerException;
import com.anthropic.errors.OverloadedException;
import com.anthropic.errors.RateLimitException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.MutableClock;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The official Anthropic Java SDK against the default hybrid chain ({@code native} = an Anthropic-format simulator,
 * {@code codebuddy} = a CodeBuddy simulator), one proxy for the whole class as a user's gateway would be, failure
 * cases included: a bad minute on both upstreams must not turn the checks after it into refusals. Each check but
 * the last starts a few minutes later (the injected clock), so earlier ejections have ended;
 * {@link #everyCheckPassesWhileBothProvidersAreEjected} runs them inside a bad minute instead.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HybridSdkIT {

    private static final String NATIVE_TEXT = "Hello! I'm doing well";
    private static final String CODEBUDDY_TEXT = "I'm unable to provide real-time weather updates.";
    private static final String ANTHROPIC_500 =
            "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}";
    private static final String OPENAI_500 =
            "{\"error\":{\"message\":\"upstream exploded\",\"type\":\"server_error\",\"code\":null}}";

    private static final MutableClock CLOCK = MutableClock.atLocal("2026-11-25T10:00", ZoneId.systemDefault());
    private static UpstreamSimulator nativeSim;
    private static UpstreamSimulator codebuddySim;
    private static ProxyHarness proxy;
    private static AnthropicClient sdk;

    @BeforeAll
    static void start() {
        nativeSim = new UpstreamSimulator(r -> r.path().endsWith("/count_tokens")
                ? UpstreamScript.json(200, "{\"input_tokens\":14}")
                : r.json().path("stream").asBoolean()
                        ? UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse"))
                        : UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")));
        codebuddySim =
                new UpstreamSimulator(r -> UpstreamScript.sse(Fixtures.text("openai/stream-text-include-usage.sse")));
        proxy = ProxyHarness.start(
                """
                providers:
                  native: {base_url: "%s", api_key: native-key}
                  codebuddy: {base_url: "%s", api_key: codebuddy-key}
                """.formatted(nativeSim.baseUrl(), codebuddySim.baseUrl()),
                Map.of(),
                new CliOverrides(null, null, "hybrid", null, null, null),
                CLOCK);
        sdk = AnthropicOkHttpClient.builder()
                .baseUrl(proxy.baseUrl())
                .apiKey("dummy")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(20))
                .build();
    }

    @AfterAll
    static void stop() {
        sdk.close();
        proxy.close();
        nativeSim.close();
        codebuddySim.close();
    }

    @BeforeEach
    void later() {
        nativeSim.reset();
        codebuddySim.reset();
        CLOCK.advance(Duration.ofMinutes(6)); // past the longest ejection (5 minutes)
    }

    private static MessageCreateParams params() {
        return MessageCreateParams.builder()
                .model("claude-sonnet-4-5")
                .maxTokens(512)
                .addUserMessage("Hello")
                .build();
    }

    private static Message streamed() {
        MessageAccumulator acc = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> s = sdk.messages().createStreaming(params())) {
            s.stream().forEach(acc::accumulate);
        }
        return acc.message();
    }

    private static String text(Message m) {
        return m.content().stream()
                .filter(ContentBlock::isText)
                .map(b -> b.asText().text())
                .findFirst()
                .orElse("");
    }

    private static void bothAnswer500() {
        nativeSim.enqueue(UpstreamScript.json(500, ANTHROPIC_500));
        codebuddySim.enqueue(UpstreamScript.json(500, OPENAI_500));
        assertThatThrownBy(() -> sdk.messages().create(params()))
                .isInstanceOf(InternalServerException.class)
                .hasMessageContaining("native: HTTP 500")
                .hasMessageContaining("codebuddy: HTTP 500");
    }

    @Test
    void nonStreamMessageComesFromThePrimary() {
        Message m = sdk.messages().create(params());
        assertThat(text(m)).startsWith(NATIVE_TEXT);
        assertThat(m.stopReason()).contains(StopReason.END_TURN);
        assertThat(nativeSim.received()).hasSize(1);
        assertThat(codebuddySim.received()).isEmpty();
    }

    @Test
    void streamAccumulatesFromThePrimary() {
        Message m = streamed();
        assertThat(text(m)).isNotBlank();
        assertThat(m.stopReason()).contains(StopReason.END_TURN);
        assertThat(nativeSim.received()).hasSize(1);
    }

    @Test
    void toolUseStreamsThroughFromThePrimary() {
        nativeSim.enqueue(UpstreamScript.sse(Fixtures.text("anthropic/stream-text-then-tool-use-sdk.sse")));
        Message m = streamed();
        ContentBlock tool =
                m.content().stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow();
        assertThat(tool.asToolUse().name()).isNotBlank();
        assertThat(tool.asToolUse()._input().toString()).isNotEqualTo("{}");
        assertThat(m.stopReason()).contains(StopReason.TOOL_USE);
    }

    @Test
    void thinkingArrivesWithItsSignature() {
        nativeSim.enqueue(UpstreamScript.sse(Fixtures.text("anthropic/stream-thinking-signature.sse")));
        Message m = streamed();
        ContentBlock thinking = m.content().stream()
                .filter(ContentBlock::isThinking)
                .findFirst()
                .orElseThrow();
        assertThat(thinking.asThinking().signature()).isNotBlank();
    }

    @Test
    void anErrorAfterContentBeganIsAnSdkErrorAndNotFailedOver() {
        nativeSim.enqueue(
                UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse")).dropAfter(4));
        assertThatThrownBy(HybridSdkIT::streamed).isInstanceOf(AnthropicServiceException.class);
        assertThat(codebuddySim.received()).isEmpty();
    }

    @Test
    void aPrimaryOutOfQuotaIsSkippedUntilItsResetStreamAndNonStream() {
        nativeSim.enqueue(
                UpstreamScript.json(
                        429,
                        "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"5-hour limit reached, try again in 3m\"}}"));
        assertThat(text(sdk.messages().create(params()))).startsWith(CODEBUDDY_TEXT);
        assertThat(text(streamed())).startsWith(CODEBUDDY_TEXT);
        assertThat(nativeSim.received()).hasSize(1);
        assertThat(codebuddySim.received()).hasSize(2);
        CLOCK.advance(Duration.ofMinutes(3));
        assertThat(text(sdk.messages().create(params()))).startsWith(NATIVE_TEXT);
    }

    @Test
    void modelsAreListed() {
        assertThat(sdk.models().list().data()).isNotEmpty();
    }

    @Test
    void countTokensIsServed() {
        long n = sdk.messages()
                .countTokens(MessageCountTokensParams.builder()
                        .model("claude-sonnet-4-5")
                        .addUserMessage("Hello")
                        .build())
                .inputTokens();
        assertThat(n).isPositive();
    }

    @Test
    void bothProvidersAnswering500IsAnInternalServerErrorNamingBoth() {
        bothAnswer500();
        assertThat(text(sdk.messages().create(params()))).isNotBlank();
    }

    @Test
    void bothOverloadedIsAnOverloadedError() {
        nativeSim.enqueue(UpstreamScript.json(529, Fixtures.text("anthropic/error-529-overloaded.json")));
        codebuddySim.enqueue(UpstreamScript.json(529, Fixtures.text("anthropic/error-529-overloaded.json")));
        assertThatThrownBy(() -> sdk.messages().create(params()))
                .isInstanceOf(OverloadedException.class)
                .hasMessageContaining("native: HTTP 529")
                .hasMessageContaining("codebuddy: HTTP 529");
    }

    @Test
    void aPrimaryFailureFailsOverInvisiblyStreamIncluded() {
        nativeSim.enqueue(UpstreamScript.json(500, ANTHROPIC_500));
        assertThat(text(streamed())).startsWith(CODEBUDDY_TEXT);
        nativeSim.enqueue(UpstreamScript.json(529, Fixtures.text("anthropic/error-529-overloaded.json")));
        assertThat(text(sdk.messages().create(params()))).startsWith(CODEBUDDY_TEXT);
        assertThat(nativeSim.received()).hasSize(2);
        assertThat(codebuddySim.received()).hasSize(2);
    }

    @Test
    void theClientsOwnErrorIsABadRequestFromThePrimaryAlone() {
        nativeSim.enqueue(UpstreamScript.json(400, Fixtures.text("anthropic/error-400-invalid-request.json")));
        assertThatThrownBy(() -> sdk.messages().create(params())).isInstanceOf(BadRequestException.class);
        assertThat(codebuddySim.received()).isEmpty();
    }

    @Test
    void aShortRateLimitOnBothIsTheLastProvidersRateLimit() {
        nativeSim.enqueue(UpstreamScript.json(
                429,
                "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}",
                Map.of("retry-after", "7")));
        codebuddySim.enqueue(UpstreamScript.json(
                429,
                "{\"error\":{\"message\":\"Rate limit reached, slow down\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}",
                Map.of("retry-after", "9")));
        assertThatThrownBy(() -> sdk.messages().create(params()))
                .isInstanceOf(RateLimitException.class)
                .hasMessageContaining("native")
                .hasMessageContaining("codebuddy");
    }

    @Test
    void everyCheckPassesWhileBothProvidersAreEjected() {
        for (int i = 0; i < 4; i++) {
            bothAnswer500();
        }
        assertThat(List.of(proxy.get("/v1/quota").body()))
                .allSatisfy(
                        q -> assertThat(q).contains("\"state\":\"ejected\"").doesNotContain("\"state\":\"available\""));
        assertThat(text(sdk.messages().create(params()))).isNotBlank();
        assertThat(text(streamed())).isNotBlank();
        assertThat(sdk.messages()
                        .countTokens(MessageCountTokensParams.builder()
                                .model("claude-sonnet-4-5")
                                .addUserMessage("Hello")
                                .build())
                        .inputTokens())
                .isPositive();
        bothAnswer500(); // three failures in a row again: native ejected again, and still tried
        assertThat(text(sdk.messages().create(params()))).isNotBlank();
    }
}
