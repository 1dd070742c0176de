package org.anthropicproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claude Code {@value NodeClients#CLAUDE_CODE_VERSION} with its own retry settings (none of the e2e suite's
 * {@code CLAUDE_CODE_MAX_RETRIES}) against the proxy started as a new user starts it, with the default route
 * (native, codebuddy): when nothing can serve it, it ends within 10 s with the proxy's reason instead of retrying in
 * silence for minutes. Claude Code prints an API error of a print-mode run on its standard output.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES) // includes the first npm install
class ClaudeCodeFailFastE2EIT {

    private static final Duration FAIL_FAST = Duration.ofSeconds(10);

    @TempDir
    Path scratch;

    @Test
    void withNoCredentialAtAllClaudeCodeExitsAtOnceNamingEveryProviderAndItsLogin() throws Exception {
        NodeClients clients = NodeClients.get();
        Path home = Files.createDirectories(scratch.resolve("proxy-home"));
        try (ProxyProcess proxy = ProxyProcess.start(scratch, home, List.of())) {
            ProcessRun run = claude(clients, proxy.baseUrl());

            assertThat(run.timedOut()).as(run.describe()).isFalse();
            assertThat(run.exitCode()).as(run.describe()).isNotZero();
            assertThat(run.took()).as(run.describe()).isLessThan(FAIL_FAST);
            assertThat(run.stdout() + run.stderr())
                    .as(run.describe())
                    .contains("401")
                    .contains("provider 'native': no usable credential", "claude-internal")
                    .contains("provider 'codebuddy': no usable credential", "run `codebuddy` and complete /login");
        }
    }

    @Test
    void withEveryProviderExhaustedUntilNextWeekClaudeCodeExitsAtOnceSayingUntilWhen() throws Exception {
        NodeClients clients = NodeClients.get();
        Path home = Files.createDirectories(scratch.resolve("proxy-home"));
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant reset = now.plus(Duration.ofDays(7));
        Path quota = scratch.resolve("quota_state.json");
        Files.writeString(quota, """
                {"version": 2,
                 "native": {"quota_exhausted": true, "exhausted_at": "%1$s", "reset_at": "%2$s", "last_error": "weekly limit"},
                 "codebuddy": {"quota_exhausted": true, "exhausted_at": "%1$s", "reset_at": "%2$s", "last_error": "weekly limit"}}
                """.formatted(now, reset));
        Path config = scratch.resolve("config.yaml");
        Files.writeString(config, """
                providers:
                  native: {base_url: "http://127.0.0.1:9", api_key: k}
                  codebuddy: {base_url: "http://127.0.0.1:9", api_key: k}
                route: [native, codebuddy]
                """);
        try (ProxyProcess proxy = ProxyProcess.start(
                scratch, home, List.of("--config", config.toString(), "--quota-file", quota.toString()))) {
            ProcessRun run = claude(clients, proxy.baseUrl());

            assertThat(run.timedOut()).as(run.describe()).isFalse();
            assertThat(run.exitCode()).as(run.describe()).isNotZero();
            assertThat(run.took()).as(run.describe()).isLessThan(FAIL_FAST);
            assertThat(run.stdout() + run.stderr())
                    .as(run.describe())
                    .contains("429")
                    .contains("native until " + reset, "codebuddy until " + reset);
        }
    }

    /** {@code claude -p} as a user types it, with Claude Code's default retries. */
    private ProcessRun claude(NodeClients clients, String baseUrl) throws Exception {
        Path home = Files.createDirectories(scratch.resolve("claude-home"));
        Path work = Files.createDirectories(scratch.resolve("work"));
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOME", home.toString());
        env.put("CLAUDE_CONFIG_DIR", home.resolve(".claude").toString());
        env.put("ANTHROPIC_BASE_URL", baseUrl);
        env.put("ANTHROPIC_AUTH_TOKEN", "anthropic-proxy");
        env.put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        env.put("DISABLE_AUTOUPDATER", "1");
        env.put("DISABLE_TELEMETRY", "1");
        env.put("DISABLE_ERROR_REPORTING", "1");
        // bounded well past FAIL_FAST: a run that retried for minutes fails the assertion on its duration
        return ProcessRun.run(
                List.of(clients.claude().toString(), "-p", "say hi"), work, env, true, Duration.ofSeconds(90));
    }
}
