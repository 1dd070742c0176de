package org.anthropicproxy.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Whatever an upstream sends, classification returns a sensible value and never throws. */
class FailureClassifierProperties {
    private static final Duration BOUND = Duration.ofSeconds(5);
    private final FailureClassifier classifier = new FailureClassifier(
            ClassifierSettings.defaults(),
            Clock.fixed(Instant.parse("2026-09-15T04:50:00Z"), ZoneId.of("Asia/Shanghai")));

    @Property(tries = 1500)
    void neverThrows(
            @ForAll("statuses") int status,
            @ForAll("headers") Map<String, List<String>> headers,
            @ForAll("bodies") String body) {
        Classification c =
                assertTimeoutPreemptively(BOUND, () -> classifier.classify(new UpstreamFailure(status, headers, body)));
        assertThat(c).isNotNull();
        assertThat(c.reason()).isNotNull();
        switch (c) {
            case Classification.RateLimited r ->
                assertThat(r.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofHours(1));
            case Classification.Unavailable u ->
                assertThat(u.cooldown()).isPositive().isLessThanOrEqualTo(Duration.ofHours(1));
            case Classification.QuotaExhausted q ->
                q.resetAt().ifPresent(r -> assertThat(r).isAfter(Instant.parse("2026-09-15T04:50:00Z")));
            default -> {}
        }
        if (status == 401) assertThat(c).isInstanceOf(Classification.AuthFailed.class);
    }

    @Property(tries = 300)
    void connectFailureNeverThrows(@ForAll String message) {
        assertThat(classifier.connectFailure(message)).isInstanceOf(Classification.Unavailable.class);
    }

    @Provide
    Arbitrary<Integer> statuses() {
        return Arbitraries.oneOf(
                Arbitraries.of(0, 200, 400, 401, 402, 403, 404, 408, 413, 422, 429, 500, 502, 503, 529),
                Arbitraries.integers().between(-10, 1000),
                Arbitraries.integers());
    }

    @Provide
    Arbitrary<Map<String, List<String>>> headers() {
        Arbitrary<String> names = Arbitraries.oneOf(
                Arbitraries.of(
                        "retry-after",
                        "retry-after-ms",
                        "x-should-retry",
                        "anthropic-ratelimit-tokens-reset",
                        "anthropic-ratelimit-unified-reset",
                        "x-ratelimit-reset-requests",
                        "Retry-After",
                        "content-type"),
                Arbitraries.strings().ofMaxLength(20));
        Arbitrary<String> values = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(40),
                Arbitraries.of(
                        "17",
                        "-5",
                        "1e308",
                        "NaN",
                        "Infinity",
                        "99999999999999999999",
                        "0.001",
                        "1m30s",
                        "6m0s",
                        "2026-09-15T04:51:30Z",
                        "Tue, 15 Sep 2026 04:52:00 GMT",
                        "1760000000",
                        "false",
                        ""),
                Arbitraries.longs().map(String::valueOf));
        Arbitrary<List<String>> lists = values.list().ofMaxSize(3);
        return Arbitraries.maps(names, lists).ofMaxSize(5);
    }

    @Provide
    Arbitrary<String> bodies() {
        Arbitrary<String> junk = Arbitraries.strings().ofMaxLength(200);
        Arbitrary<String> unicode = Arbitraries.strings().all().ofMaxLength(100);
        Arbitrary<String> anthropic = Combinators.combine(
                        Arbitraries.of(
                                "rate_limit_error",
                                "overloaded_error",
                                "api_error",
                                "authentication_error",
                                "billing_error",
                                "x",
                                ""),
                        junk)
                .as((t, m) -> "{\"type\":\"error\",\"error\":{\"type\":\"" + t + "\",\"message\":" + quote(m) + "}}");
        Arbitrary<String> codebuddy = Combinators.combine(
                        Arbitraries.of("14018", "6004", "11134", "\"x\"", "null", "[]", "{}"), junk)
                .as((code, m) -> "{\"error\":{\"data\":{\"code\":" + code + ",\"msg\":" + quote(m) + "}}}");
        Arbitrary<String> dates = Combinators.combine(
                        Arbitraries.integers().between(0, 9999),
                        Arbitraries.integers().between(0, 99),
                        Arbitraries.integers().between(0, 99),
                        Arbitraries.of("UTC+8", "UTC-99", "Z", "+99:99", "", "GMT+14"))
                .as((y, mo, d, z) ->
                        "resets at " + String.format("%04d-%02d-%02d %02d:%02d:%02d %s", y, mo, d, d, mo, d, z));
        Arbitrary<String> unix =
                Arbitraries.longs().map(l -> "{\"reset_at\":" + l + ",\"msg\":\"usage limit reached|" + l + "\"}");
        Arbitrary<String> truncated = Arbitraries.of(
                        FailureClassifierTest.CODEBUDDY_14018,
                        FailureClassifierTest.ANTHROPIC_529,
                        FailureClassifierTest.HTML_502,
                        FailureClassifierTest.OPENAI_RATE)
                .flatMap(s -> Arbitraries.integers().between(0, s.length()).map(n -> s.substring(0, n)));
        return Arbitraries.oneOf(
                junk,
                unicode,
                anthropic,
                codebuddy,
                dates,
                unix,
                truncated,
                Arbitraries.just(null),
                Arbitraries.just("{\"error\":null}"),
                Arbitraries.just("[1,2,{\"code\":14018}]"));
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
