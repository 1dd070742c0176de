package org.anthropicproxy.credentials;

import static org.anthropicproxy.credentials.CredentialFiles.codeBuddyDir;
import static org.anthropicproxy.credentials.CredentialFiles.codeBuddyDoc;
import static org.anthropicproxy.credentials.CredentialFiles.nativeConfig;
import static org.anthropicproxy.credentials.CredentialFiles.nativeDoc;
import static org.anthropicproxy.credentials.CredentialFiles.read;
import static org.anthropicproxy.credentials.CredentialFiles.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RefreshServerSimulator;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code HOME} set to a scratch directory (as under {@code sudo -E}, a container or a service manager): the login
 * files of both presets are found there, an expired one is refreshed and written back there, and the 401 and
 * {@code /health} name the absolute path looked at. The environment is passed as a map, never set on the process.
 */
@Timeout(60)
class HomeDirIT {

    private static final String REQUEST =
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path scratch;

    private final RefreshServerSimulator refresh = new RefreshServerSimulator("native");
    private final UpstreamSimulator nativeUpstream =
            new UpstreamSimulator(r -> UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")));
    private final UpstreamSimulator codebuddyUpstream =
            new UpstreamSimulator(r -> UpstreamScript.sse(Fixtures.text("openai/stream-text-include-usage.sse")));
    private ProxyHarness proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        nativeUpstream.close();
        codebuddyUpstream.close();
        refresh.close();
    }

    private void start(String provider) {
        proxy = ProxyHarness.start(
                """
                providers:
                  native: {base_url: "%s", auth: {refresh_url: "%s"}}
                  codebuddy: {base_url: "%s"}
                """.formatted(nativeUpstream.baseUrl(), refresh.nativeUrl(), codebuddyUpstream.baseUrl()),
                Map.of("HOME", scratch.toString()),
                new CliOverrides(null, null, provider, null, null, null));
    }

    @Test
    void anExpiredClaudeInternalLoginUnderHomeIsRefreshedAndWrittenBackThere() throws Exception {
        write(
                nativeConfig(scratch),
                nativeDoc("expired-access", "old-refresh", Instant.now().minus(Duration.ofMinutes(5))));
        start("native");

        HttpResponse<String> r = proxy.post("/v1/messages", REQUEST, "content-type", "application/json");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(refresh.nativeCalls()).isEqualTo(1);
        assertThat(refresh.last().form()).containsEntry("refresh_token", "old-refresh");
        assertThat(nativeUpstream.last().header("x-api-key")).isEqualTo(refresh.accessToken(1));
        JsonNode written = read(nativeConfig(scratch));
        assertThat(written.path("accessToken").asText()).isEqualTo(refresh.accessToken(1));
        assertThat(written.path("theme").asText()).isEqualTo("dark");
        JsonNode health = JSON.readTree(proxy.get("/health").body());
        assertThat(health.at("/providers/0/credential/source").asText()).isEqualTo("file " + nativeConfig(scratch));
    }

    @Test
    void theCodeBuddyLoginUnderHomeIsFound() throws Exception {
        write(
                codeBuddyDir(scratch).resolve("Tencent-Cloud.coding-copilot.info"),
                codeBuddyDoc(
                        "cb-access", "cb-refresh", Instant.now().plus(Duration.ofHours(2)), "copilot.tencent.com"));
        start("codebuddy");

        HttpResponse<String> r = proxy.post("/v1/messages", REQUEST, "content-type", "application/json");

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(codebuddyUpstream.last().header("authorization")).isEqualTo("Bearer cb-access");
    }

    @Test
    void withNoLoginThe401NamesTheAbsolutePathsLookedAtUnderHome() throws Exception {
        start("native");

        HttpResponse<String> r = proxy.post("/v1/messages", REQUEST, "content-type", "application/json");

        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(r.body()).at("/error/message").asText())
                .contains(scratch.resolve(".git-credentials").toString())
                .contains(nativeConfig(scratch).toString());
    }
}
