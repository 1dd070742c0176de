package org.anthropicproxy.quota;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.anthropicproxy.quota.Classification.AuthFailed;
import org.anthropicproxy.quota.Classification.ClientError;
import org.anthropicproxy.quota.Classification.QuotaExhausted;
import org.anthropicproxy.quota.Classification.RateLimited;
import org.anthropicproxy.quota.Classification.Unavailable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(10)
class FailureClassifierTest {
    /** 2026-09-15 12:50:00 in UTC+8: 35m47s before the reset named in the Chinese 6004 sample. */
    static final Instant NOW = Instant.parse("2026-09-15T04:50:00Z");

    static final Clock CLOCK = Clock.fixed(NOW, ZoneId.of("Europe/Berlin"));
    final FailureClassifier classifier = new FailureClassifier(ClassifierSettings.defaults(), CLOCK);

    // ---- bodies CodeBuddy and the internal gateway send, as users reported them ----
    static final String CODEBUDDY_14018 =
            "{\"error\":{\"data\":{\"code\":14018,\"msg\":\"Credits exhausted. Please visit the link "
                    + "below to purchase add-on packs and get more credits: https://www.codebuddy.ai/profile/usage \","
                    + "\"requestId\":\"b9ab2fbe-92f5-43ad-9ea6-8ea5340ac861\"}}}";
    static final String CODEBUDDY_14018_CN = "{\"error\":{\"data\":{\"code\":14018,\"msg\":\"额度已用尽，请访问以下链接，购买加量包。\"}}}";
    static final String CODEBUDDY_14018_CODE_ONLY = "{\"error\":{\"data\":{\"code\":14018,\"msg\":\"quota problem\"}}}";
    static final String CODEBUDDY_6004_CN =
            "{\"code\":6004,\"msg\":\"您的使用量已超出频率限制，将在 2026-09-15 13:25:47 UTC+8 重置，" + "您也可以切换其他模型继续使用。\"}";
    static final String CODEBUDDY_6004_EN =
            "{\"code\":6004,\"msg\":\"usage exceeds frequency limit, but don't worry, your usage "
                    + "will reset at 2026-09-24 05:17:08 UTC+8, alternatively, you can switch to the other models to continue using it.\","
                    + "\"requestId\":\"f56dba950dc64f88a126cb3d7bdb6039\"}";
    static final String CODEBUDDY_11134 =
            "{\"code\":11134,\"msg\":\"model provider temporarily unavailable\",\"requestId\":\"r1\"}";
    static final String CODEBUDDY_11140 = "{\"code\":11140,\"msg\":\"request illegal\"}";
    static final String CODEBUDDY_11101 = "{\"code\":11101,\"msg\":\"Unmarshal chat params failed\"}";
    static final String ANTHROPIC_429 =
            "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"This request "
                    + "would exceed the rate limit for your organization of 50,000 input tokens per minute.\"},\"request_id\":\"req_1\"}";
    static final String ANTHROPIC_529 =
            "{\"type\":\"error\",\"error\":{\"details\":null,\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";
    static final String ANTHROPIC_400 =
            "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"prompt is "
                    + "too long: 215633 tokens > 200000 maximum\"},\"request_id\":\"req_011SynInvalidRequest0001\"}";
    static final String ANTHROPIC_SPEND =
            "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"You have reached "
                    + "your specified API usage limits.\",\"details\":{\"error_code\":\"enforced_spend_limit_reached\"}}}";
    static final String ANTHROPIC_401 =
            "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}";
    static final String OPENAI_INSUFFICIENT_QUOTA =
            "{\"error\":{\"message\":\"You exceeded your current quota, please check your plan "
                    + "and billing details.\",\"type\":\"insufficient_quota\",\"param\":null,\"code\":\"insufficient_quota\"}}";
    static final String OPENAI_RATE =
            "{\"error\":{\"message\":\"Rate limit reached for gpt-4o in organization org-x on tokens per "
                    + "min (TPM): Limit 30000, Used 29000, Requested 1500. Please try again in 1m30s.\",\"type\":\"tokens\","
                    + "\"param\":null,\"code\":\"rate_limit_exceeded\"}}";
    static final String OPENAI_400 =
            "{\"error\":{\"message\":\"Unsupported parameter: 'max_tokens' is not supported with this model.\","
                    + "\"type\":\"invalid_request_error\",\"param\":\"max_tokens\",\"code\":\"unsupported_parameter\"}}";
    static final String PYTHON_NATIVE_CN =
            "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"本周额度已用尽，"
                    + "如需继续使用请申请临时提额，查看使用详情\"}}";
    static final String PYTHON_NATIVE_EN =
            "{\"error\":{\"message\":\"You have reached your weekly limit for Claude models.\"}}";
    static final String HTML_502 =
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
                    + "Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    static final String DEEPSEEK_402 =
            "{\"error\":{\"message\":\"Insufficient Balance\",\"type\":\"unknown_error\",\"param\":null,\"code\":\"invalid_request_error\"}}";

    static Map<String, List<String>> headers(String... kv) {
        Map<String, List<String>> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], List.of(kv[i + 1]));
        return m;
    }

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of(
                        "anthropic_server.py Chinese marker (native weekly quota)",
                        429,
                        headers(),
                        PYTHON_NATIVE_CN,
                        QuotaExhausted.class),
                Arguments.of(
                        "anthropic_server.py Chinese marker under a 403",
                        403,
                        headers(),
                        PYTHON_NATIVE_CN,
                        QuotaExhausted.class),
                Arguments.of(
                        "anthropic_server.py English marker on a 400",
                        400,
                        headers(),
                        PYTHON_NATIVE_EN,
                        QuotaExhausted.class),
                Arguments.of("CodeBuddy 14018 English", 429, headers(), CODEBUDDY_14018, QuotaExhausted.class),
                Arguments.of("CodeBuddy 14018 Chinese", 429, headers(), CODEBUDDY_14018_CN, QuotaExhausted.class),
                Arguments.of(
                        "CodeBuddy 14018 by code only",
                        429,
                        headers(),
                        CODEBUDDY_14018_CODE_ONLY,
                        QuotaExhausted.class),
                Arguments.of("CodeBuddy 6004 near reset", 429, headers(), CODEBUDDY_6004_CN, RateLimited.class),
                Arguments.of("CodeBuddy 6004 far reset", 429, headers(), CODEBUDDY_6004_EN, QuotaExhausted.class),
                Arguments.of("CodeBuddy 11134", 500, headers(), CODEBUDDY_11134, Unavailable.class),
                Arguments.of("CodeBuddy 11140", 403, headers(), CODEBUDDY_11140, AuthFailed.class),
                Arguments.of("CodeBuddy 11101", 400, headers(), CODEBUDDY_11101, ClientError.class),
                Arguments.of("CodeBuddy 401 Chinese", 401, headers(), "鉴权服务请求失败", AuthFailed.class),
                Arguments.of(
                        "Anthropic 429 retry-after",
                        429,
                        headers("retry-after", "17"),
                        ANTHROPIC_429,
                        RateLimited.class),
                Arguments.of(
                        "Anthropic 429 retry-after beyond max",
                        429,
                        headers("retry-after", "7200"),
                        ANTHROPIC_429,
                        QuotaExhausted.class),
                Arguments.of("Anthropic spend limit", 429, headers(), ANTHROPIC_SPEND, QuotaExhausted.class),
                Arguments.of(
                        "Anthropic 429 x-should-retry false",
                        429,
                        headers("x-should-retry", "false"),
                        ANTHROPIC_429,
                        QuotaExhausted.class),
                Arguments.of("Anthropic 529 overloaded", 529, headers(), ANTHROPIC_529, Unavailable.class),
                Arguments.of(
                        "Anthropic overloaded as SSE error after 200",
                        200,
                        headers(),
                        ANTHROPIC_529,
                        Unavailable.class),
                Arguments.of(
                        "Anthropic rate limit as SSE error after 200",
                        200,
                        headers(),
                        ANTHROPIC_429,
                        RateLimited.class),
                Arguments.of(
                        "SSE framing kept",
                        200,
                        headers(),
                        "event: error\ndata: " + ANTHROPIC_529 + "\n\n",
                        Unavailable.class),
                Arguments.of("Anthropic 401", 401, headers(), ANTHROPIC_401, AuthFailed.class),
                Arguments.of("Anthropic 400", 400, headers(), ANTHROPIC_400, ClientError.class),
                Arguments.of(
                        "Anthropic 400 credit balance too low",
                        400,
                        headers(),
                        "{\"type\":\"error\",\"error\":{\"type\":"
                                + "\"invalid_request_error\",\"message\":\"Your credit balance is too low to access the Anthropic API. "
                                + "Please go to Plans & Billing to upgrade or purchase credits.\"}}",
                        QuotaExhausted.class),
                Arguments.of(
                        "OpenAI 429 insufficient_quota",
                        429,
                        headers(),
                        OPENAI_INSUFFICIENT_QUOTA,
                        QuotaExhausted.class),
                Arguments.of("OpenAI 429 rate limit", 429, headers(), OPENAI_RATE, RateLimited.class),
                Arguments.of("OpenAI 400", 400, headers(), OPENAI_400, ClientError.class),
                Arguments.of("DeepSeek 402", 402, headers(), DEEPSEEK_402, QuotaExhausted.class),
                Arguments.of(
                        "404",
                        404,
                        headers(),
                        "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"model: x\"}}",
                        ClientError.class),
                Arguments.of("413", 413, headers(), "request entity too large", ClientError.class),
                Arguments.of("422", 422, headers(), "{\"detail\":\"bad\"}", ClientError.class),
                Arguments.of("HTML 502", 502, headers(), HTML_502, Unavailable.class),
                Arguments.of("503 empty", 503, headers(), "", Unavailable.class),
                Arguments.of("408", 408, headers(), "", Unavailable.class),
                Arguments.of("garbage 429", 429, headers(), "\u0000\u0001{{{[[[\"]]}", RateLimited.class),
                Arguments.of(
                        "garbage 500", 500, headers("retry-after", "soon"), "not json at all }{", Unavailable.class),
                Arguments.of("null body 0 status", 0, null, null, Unavailable.class),
                Arguments.of(
                        "prefixed JSON",
                        429,
                        headers(),
                        "CodeBuddy API error: 429 - " + CODEBUDDY_14018,
                        QuotaExhausted.class),
                Arguments.of(
                        "plain 429 too many requests",
                        429,
                        headers(),
                        "{\"code\":429,\"msg\":\"too many requests\"}",
                        RateLimited.class));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void classifies(String name, int status, Map<String, List<String>> headers, String body, Class<?> expected) {
        Classification c = classifier.classify(new UpstreamFailure(status, headers, body));
        assertThat(c).as(name).isInstanceOf(expected);
        assertThat(c.reason()).as(name + " reason").isNotBlank().hasSizeLessThanOrEqualTo(301);
    }

    @Test
    void codebuddy6004NearResetIsACooldownUntilTheNamedTime() {
        var c = (RateLimited) classifier.classify(new UpstreamFailure(429, CODEBUDDY_6004_CN));
        assertThat(c.retryAfter()).isEqualTo(Duration.ofMinutes(35).plusSeconds(47));
        assertThat(c.reason()).contains("6004").contains("频率限制");
    }

    @Test
    void codebuddy6004FarResetIsExhaustionUntilTheNamedTime() {
        var c = (QuotaExhausted) classifier.classify(new UpstreamFailure(429, CODEBUDDY_6004_EN));
        assertThat(c.resetAt()).contains(Instant.parse("2026-09-23T21:17:08Z"));
    }

    @Test
    void credits14018HasNoResetTimeSoTheScheduleDecides() {
        var c = (QuotaExhausted) classifier.classify(new UpstreamFailure(429, CODEBUDDY_14018));
        assertThat(c.resetAt()).isEmpty();
        assertThat(c.reason()).contains("Credits exhausted").contains("14018");
    }

    @Test
    void aShortRetryAfterDoesNotEndAHardQuota() {
        var c = (QuotaExhausted)
                classifier.classify(new UpstreamFailure(429, headers("retry-after", "60"), CODEBUDDY_14018));
        assertThat(c.resetAt()).isEmpty();
        var longWait = (QuotaExhausted)
                classifier.classify(new UpstreamFailure(429, headers("retry-after", "86400"), CODEBUDDY_14018));
        assertThat(longWait.resetAt()).contains(NOW.plusSeconds(86400));
    }

    @Test
    void hardQuotaTakesTheLatestRateLimitHeaderReset() {
        var c = (QuotaExhausted) classifier.classify(new UpstreamFailure(
                429,
                headers(
                        "anthropic-ratelimit-tokens-reset", "2026-09-15T04:51:00Z",
                        "anthropic-ratelimit-unified-reset", "2026-09-21T00:00:00Z"),
                PYTHON_NATIVE_EN));
        assertThat(c.resetAt()).contains(Instant.parse("2026-09-21T00:00:00Z"));
    }

    @Test
    void retryAfterSecondsAndMillis() {
        var s = (RateLimited)
                classifier.classify(new UpstreamFailure(429, headers("retry-after", "17"), ANTHROPIC_429));
        assertThat(s.retryAfter()).isEqualTo(Duration.ofSeconds(17));
        var ms = (RateLimited) classifier.classify(
                new UpstreamFailure(429, headers("retry-after-ms", "2500", "retry-after", "3"), ANTHROPIC_429));
        assertThat(ms.retryAfter()).isEqualTo(Duration.ofMillis(2500));
        var tiny =
                (RateLimited) classifier.classify(new UpstreamFailure(429, headers("retry-after", "0"), ANTHROPIC_429));
        assertThat(tiny.retryAfter()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void retryAfterAsHttpDate() {
        var c = (RateLimited) classifier.classify(
                new UpstreamFailure(429, headers("retry-after", "Tue, 15 Sep 2026 04:52:00 GMT"), ANTHROPIC_429));
        assertThat(c.retryAfter()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void longRetryAfterBecomesExhaustionUntilThen() {
        var c = (QuotaExhausted)
                classifier.classify(new UpstreamFailure(429, headers("retry-after", "7200"), ANTHROPIC_429));
        assertThat(c.resetAt()).contains(NOW.plusSeconds(7200));
    }

    @Test
    void anthropicRateLimitResetHeaderWithoutRetryAfter() {
        var c = (RateLimited) classifier.classify(new UpstreamFailure(
                429,
                headers(
                        "anthropic-ratelimit-tokens-reset", "2026-09-15T04:51:30Z",
                        "anthropic-ratelimit-requests-reset", "2026-09-15T04:50:00Z"),
                ANTHROPIC_429));
        assertThat(c.retryAfter()).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void anthropicUnifiedResetUnixMakesTheExhaustionEndThen() {
        long reset = NOW.plus(Duration.ofDays(3)).getEpochSecond();
        var c = (QuotaExhausted)
                classifier.classify(
                        new UpstreamFailure(
                                429,
                                headers("anthropic-ratelimit-unified-reset", String.valueOf(reset)),
                                "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"You've hit your weekly limit\"}}"));
        assertThat(c.resetAt()).contains(Instant.ofEpochSecond(reset));
    }

    @Test
    void claudeUsageLimitWithUnixTimeAfterPipe() {
        long reset = NOW.plus(Duration.ofHours(4)).getEpochSecond();
        var c = (QuotaExhausted)
                classifier.classify(new UpstreamFailure(429, "Claude AI usage limit reached|" + reset));
        assertThat(c.resetAt()).contains(Instant.ofEpochSecond(reset));
    }

    @Test
    void resetsAtIsoTimestampInMessage() {
        var c = (QuotaExhausted) classifier.classify(new UpstreamFailure(
                429, "{\"error\":{\"message\":\"Weekly limit reached, resets at 2026-09-21T00:00:00+02:00\"}}"));
        assertThat(c.resetAt()).contains(Instant.parse("2026-09-20T22:00:00Z"));
    }

    @Test
    void pastTimestampsAreNotResetTimes() {
        var c = (QuotaExhausted) classifier.classify(new UpstreamFailure(
                429, "{\"error\":{\"message\":\"weekly limit reached\",\"created\":\"2020-01-01T00:00:00Z\"}}"));
        assertThat(c.resetAt()).isEmpty();
    }

    @Test
    void openAiTryAgainIn() {
        var c = (RateLimited) classifier.classify(new UpstreamFailure(429, OPENAI_RATE));
        assertThat(c.retryAfter()).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void overloadedUsesRetryAfterOrDefaultCooldownCappedAtMax() {
        assertThat(((Unavailable) classifier.classify(new UpstreamFailure(529, ANTHROPIC_529))).cooldown())
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(((Unavailable) classifier.classify(
                                new UpstreamFailure(529, headers("retry-after", "5"), ANTHROPIC_529)))
                        .cooldown())
                .isEqualTo(Duration.ofSeconds(5));
        assertThat(((Unavailable) classifier.classify(new UpstreamFailure(503, headers("retry-after", "99999"), "")))
                        .cooldown())
                .isEqualTo(Duration.ofHours(1));
    }

    @Test
    void unicodeEscapedChineseMarkerIsFound() {
        String escaped = "{\"error\":{\"message\":\"\\u672c\\u5468\\u989d\\u5ea6\\u5df2\\u7528\\u5c3d\"}}"; // 本周额度已用尽
        assertThat(classifier.classify(new UpstreamFailure(429, escaped))).isInstanceOf(QuotaExhausted.class);
    }

    @Test
    void requestIdContaining14018IsNotAQuotaMarker() {
        String body =
                "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"},\"request_id\":\"req_140181\"}";
        assertThat(classifier.classify(new UpstreamFailure(429, body))).isInstanceOf(RateLimited.class);
    }

    @Test
    void htmlReasonUsesTheTitle() {
        assertThat(classifier.classify(new UpstreamFailure(502, HTML_502)).reason())
                .isEqualTo("HTTP 502: 502 Bad Gateway");
    }

    @Test
    void perProviderMarkersFromConfig() {
        var settings =
                ClassifierSettings.fromMap(Map.of("quota_markers", List.of("team budget spent")), "providers.x.quota");
        var custom = new FailureClassifier(settings, CLOCK);
        var body = "{\"error\":{\"message\":\"Team budget spent for this month\"}}";
        assertThat(custom.classify(new UpstreamFailure(429, body))).isInstanceOf(QuotaExhausted.class);
        assertThat(classifier.classify(new UpstreamFailure(429, body))).isInstanceOf(RateLimited.class);
    }

    @Test
    void connectFailureIsUnavailableForTheDefaultCooldown() {
        var c = (Unavailable) classifier.connectFailure("Connection refused: /127.0.0.1:1");
        assertThat(c.cooldown()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.reason()).contains("Connection refused");
        assertThat(classifier.connectFailure(null)).isInstanceOf(Unavailable.class);
    }

    @Test
    void reasonIsTruncated() {
        String huge = "{\"error\":{\"message\":\"" + "x".repeat(100_000) + "\"}}";
        Classification c = classifier.classify(new UpstreamFailure(500, huge));
        assertThat(c.reason().length()).isLessThanOrEqualTo(301);
        assertThat(Optional.of(c)).containsInstanceOf(Unavailable.class);
    }

    @Test
    void deeplyNestedJsonDoesNotThrow() {
        String deep = "{\"a\":".repeat(5000) + "1" + "}".repeat(5000);
        assertThat(classifier.classify(new UpstreamFailure(429, deep))).isInstanceOf(RateLimited.class);
        String deepArray = "[".repeat(100_000);
        assertThat(classifier.classify(new UpstreamFailure(500, deepArray))).isInstanceOf(Unavailable.class);
    }
}
