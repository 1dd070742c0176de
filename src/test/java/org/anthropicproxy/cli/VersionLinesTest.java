package org.anthropicproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.server.Version;
import org.anthropicproxy.testkit.ProxyHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class VersionLinesTest {

    private static String stdoutOf(String... args) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(args)).isZero();
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void versionShowsVersionBuildTimeAndTheChainTheFlagsSelect(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("c.yaml");
        Files.writeString(
                config, "providers:\n  mine: {kind: openai, base_url: 'http://127.0.0.1:9'}\nroute: [mine, native]\n");
        assertThat(stdoutOf("--config", config.toString(), "--version").lines().toList())
                .containsExactly(
                        "anthropic-proxy " + Version.VERSION + " (built " + Version.BUILD_TIME + ")",
                        "route: mine -> native (config: " + config + ")");
        assertThat(stdoutOf("--config", config.toString(), "--provider", "codebuddy", "--version"))
                .contains("route: codebuddy (");
    }

    @Test
    void aConfigProblemShowsInPlaceOfTheChain() {
        assertThat(stdoutOf("--provider", "nowhere", "--version"))
                .contains("anthropic-proxy " + Version.VERSION)
                .contains("route: unknown")
                .contains("nowhere");
    }

    @Test
    void healthReportsVersionBuildTimeAndRoute() throws Exception {
        try (ProxyHarness proxy =
                ProxyHarness.start("providers:\n  a: {kind: anthropic, base_url: 'http://127.0.0.1:9', api_key: k}\n"
                        + "  b: {kind: anthropic, base_url: 'http://127.0.0.1:9', api_key: k}\nroute: [a, b]\n")) {
            JsonNode h = new ObjectMapper().readTree(proxy.get("/health").body());
            assertThat(h.path("version").asText()).isEqualTo(Version.VERSION);
            assertThat(h.path("build_time").asText()).isEqualTo(Version.BUILD_TIME);
            assertThat(h.path("route").toString()).isEqualTo("[\"a\",\"b\"]");
        }
    }
}
