package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.anthropicproxy.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ErrorMapperTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-09-15T05:00:00Z"), ZoneOffset.UTC);

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            400 | {"error":{"message":"bad","type":"invalid_request_error"}} | 400 | invalid_request_error | bad
            422 | {"error":{"message":"bad"}}                                | 400 | invalid_request_error | bad
            401 | {"error":{"message":"Incorrect API key provided"}}         | 401 | authentication_error  | Incorrect API key provided
            402 | {"error":{"message":"Insufficient Balance"}}               | 402 | billing_error         | Insufficient Balance
            403 | {"error":{"message":"region"}}                             | 403 | permission_error      | region
            404 | {"error":{"message":"no model"}}                           | 404 | not_found_error       | no model
            413 | too big                                                    | 413 | request_too_large     | too big
            429 | {"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}} | 429 | rate_limit_error | Rate limit reached
            500 | {"error":{"message":"boom"}}                               | 500 | api_error             | boom
            502 | <html>bad gateway</html>                                   | 502 | api_error             | <html>bad gateway</html>
            503 | {"error":{"message":"Service Unavailable"}}                | 529 | overloaded_error      | Service Unavailable
            500 | {"error":{"message":"The engine is currently overloaded"}} | 529 | overloaded_error      | The engine is currently overloaded
            504 | ''                                                         | 504 | timeout_error         | upstream returned HTTP 504 with an empty body
            400 | {"code":11101,"msg":"Non-stream chat request is currently not supported"} | 400 | invalid_request_error | Non-stream chat request is currently not supported (upstream code 11101)
            400 | {"code":11102,"msg":"model [x] service info not found"}   | 400 | invalid_request_error | model [x] service info not found (upstream code 11102)
            400 | {"code":11133,"msg":"request parameters rejected"}        | 400 | invalid_request_error | request parameters rejected (upstream code 11133)
            500 | {"code":11134,"msg":"model provider temporarily unavailable"} | 529 | overloaded_error | model provider temporarily unavailable (upstream code 11134)
            403 | {"code":11140,"msg":"request illegal"}                    | 403 | permission_error      | request illegal (upstream code 11140)
            429 | {"error":{"data":{"code":14018,"msg":"Credits exhausted. Please visit the console to purchase add-on packs"}}} | 429 | rate_limit_error | Credits exhausted. Please visit the console to purchase add-on packs (upstream code 14018)
            200 | {"error":{"message":"weird"}}                              | 502 | api_error             | weird
            """)
    void table(int status, String body, int wantStatus, String wantType, String wantMessage) {
        AnthropicError e = ErrorMapper.map(status, Map.of(), body, CLOCK);
        assertThat(e.status()).isEqualTo(wantStatus);
        assertThat(e.type()).isEqualTo(wantType);
        assertThat(e.message()).isEqualTo(wantMessage);
        assertThat(e.toJson()).startsWith("{\"type\":\"error\",\"error\":{\"type\":\"" + wantType + "\"");
    }

    @Test
    void retryAfterKept() {
        AnthropicError e = ErrorMapper.map(
                429, Map.of("Retry-After", List.of("17")), "{\"error\":{\"message\":\"slow down\"}}", CLOCK);
        assertThat(e.retryAfterSeconds()).contains(17L);
        e = ErrorMapper.map(429, Map.of("retry-after-ms", List.of("1500")), "{}", CLOCK);
        assertThat(e.retryAfterSeconds()).contains(2L);
    }

    @Test
    void codebuddy6004ResetTimeBecomesRetryAfter() {
        // 13:25:47 UTC+8 = 05:25:47Z, clock at 05:00:00Z
        AnthropicError e = ErrorMapper.map(
                429, Map.of(), "{\"code\":6004,\"msg\":\"您的使用量已超出频率限制，将在 2026-09-15 13:25:47 UTC+8 重置\"}", CLOCK);
        assertThat(e.status()).isEqualTo(429);
        assertThat(e.type()).isEqualTo("rate_limit_error");
        assertThat(e.retryAfterSeconds()).contains(1547L);
        assertThat(e.message()).contains("频率限制");
        e = ErrorMapper.map(
                429,
                Map.of(),
                "{\"code\":6004,\"msg\":\"usage exceeds frequency limit, reset at 2026-09-15 13:25:47 UTC+8\"}",
                CLOCK);
        assertThat(e.retryAfterSeconds()).contains(1547L);
    }

    @Test
    void openAiFixturesAndContextLength() {
        AnthropicError e = ErrorMapper.map(400, Map.of(), Fixtures.text("openai/error-400-unsupported-parameter.json"));
        assertThat(e.type()).isEqualTo("invalid_request_error");
        assertThat(e.message()).startsWith("Unsupported parameter: 'max_tokens'");
        e = ErrorMapper.map(400, Map.of(), Fixtures.text("vendors/deepseek-error-400-reasoning-content-required.json"));
        assertThat(e.message()).isEqualTo("The reasoning_content in the thinking mode must be passed back to the API.");
        e = ErrorMapper.map(
                400,
                Map.of(),
                "{\"error\":{\"message\":\"This model's maximum context length is 128000 tokens\",\"code\":\"context_length_exceeded\"}}");
        assertThat(e.message()).startsWith("prompt is too long: ");
        assertThat(e.retryAfterSeconds()).isEqualTo(Optional.empty());
    }
}
