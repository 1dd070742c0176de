package org.anthropicproxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RedisServerProcess;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two proxy instances sharing quota state in one real Redis server. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SharedRedisQuotaIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String BODY =
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void exhaustionSeenByOneInstanceIsHonouredByTheOtherAndResetByOneClearsBoth() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start();
                UpstreamSimulator nativeSim = new UpstreamSimulator(
                        r -> UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")));
                UpstreamSimulator codebuddySim = new UpstreamSimulator(
                        r -> UpstreamScript.sse(Fixtures.text("openai/stream-text-include-usage.sse")))) {
            String yaml = """
                    providers:
                      native: {base_url: "%s", api_key: k1}
                      codebuddy: {base_url: "%s", api_key: k2}
                    """.formatted(nativeSim.baseUrl(), codebuddySim.baseUrl());
            CliOverrides cli = new CliOverrides(null, null, "hybrid", null, null, redis.uri());
            try (ProxyHarness a = ProxyHarness.start(yaml, Map.of(), cli);
                    ProxyHarness b = ProxyHarness.start(yaml, Map.of(), cli)) {
                nativeSim.enqueue(
                        UpstreamScript.json(
                                429,
                                "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"weekly limit reached\"}}"));
                assertThat(a.post("/v1/messages", BODY).statusCode()).isEqualTo(200);
                assertThat(nativeSim.received()).hasSize(1);
                assertThat(codebuddySim.received()).hasSize(1);

                // instance b never saw the failure, yet skips native at once
                HttpResponse<String> viaB = b.post("/v1/messages", BODY);
                assertThat(viaB.statusCode()).isEqualTo(200);
                assertThat(nativeSim.received()).hasSize(1);
                assertThat(codebuddySim.received()).hasSize(2);
                assertThat(MAPPER.readTree(b.get("/v1/quota").body())
                                .at("/providers/native/exhausted")
                                .asBoolean())
                        .isTrue();

                // a reset through b clears the state for a as well
                assertThat(b.post("/v1/quota/reset?provider=native", "").statusCode())
                        .isEqualTo(200);
                assertThat(MAPPER.readTree(a.get("/v1/quota").body())
                                .at("/providers/native/exhausted")
                                .asBoolean())
                        .isFalse();
                assertThat(a.post("/v1/messages", BODY).statusCode()).isEqualTo(200);
                assertThat(nativeSim.received()).hasSize(2);
            }
        }
    }
}
