package org.anthropicproxy.usage;

import static org.anthropicproxy.usage.UsageAggregatesTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.cli.Main;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Eight requests, then the API and the {@code usage} command agree with what the client saw, and so does the API of
 * the proxy started again on the same state directory; {@code HEAD /} still answers 200.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UsageRestartIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void totalsSurviveARestartAndTheCommandReadsTheSame() throws Exception {
        try (UpstreamSimulator upstream =
                new UpstreamSimulator(r -> r.json().path("stream").asBoolean()
                        ? UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse"))
                        : UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")))) {
            String yaml = """
                    providers:
                      up: {kind: anthropic, base_url: "%s", api_key: k}
                    route: [up]
                    """.formatted(upstream.baseUrl());
            String quota = dir.resolve("state/quota_state.json").toString();
            CliOverrides cli = new CliOverrides(null, null, null, null, null, quota);
            long[] seen = new long[4];
            JsonNode before;
            try (ProxyHarness p = ProxyHarness.start(yaml, Map.of(), cli)) {
                for (int i = 0; i < 8; i++) {
                    HttpResponse<String> r = p.post("/v1/messages", """
                            {"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}
                            """, "content-type", "application/json");
                    assertThat(r.statusCode()).isEqualTo(200);
                    JsonNode u = JSON.readTree(r.body()).get("usage");
                    seen[0] += u.get("input_tokens").asLong();
                    seen[1] += u.get("output_tokens").asLong();
                    seen[2] += u.get("cache_read_input_tokens").asLong();
                    seen[3] += u.get("cache_creation_input_tokens").asLong();
                }
                waitFor(() -> p.app().usage().committed() == 8);
                before = JSON.readTree(p.get("/v1/usage?group_by=model").body());
            }
            JsonNode total = before.get("total");
            assertThat(total.get("requests").asLong()).isEqualTo(8);
            assertThat(new long[] {
                        total.get("input_tokens").asLong(),
                        total.get("output_tokens").asLong(),
                        total.get("cache_read_input_tokens").asLong(),
                        total.get("cache_creation_input_tokens").asLong()
                    })
                    .containsExactly(seen);

            StringWriter out = new StringWriter();
            CommandLine cl = new CommandLine(new Main());
            cl.setOut(new PrintWriter(out));
            Path config = java.nio.file.Files.writeString(dir.resolve("config.yaml"), yaml);
            assertThat(cl.execute("usage", "models", "--json", "--config", config.toString(), "--quota-file", quota))
                    .isZero();
            assertThat(JSON.readTree(out.toString())).isEqualTo(before);

            try (ProxyHarness again = ProxyHarness.start(yaml, Map.of(), cli)) {
                assertThat(JSON.readTree(again.get("/v1/usage?group_by=model").body()))
                        .isEqualTo(before);
                assertThat(again.request("HEAD", "/").statusCode()).isEqualTo(200);
            }
        }
    }
}
