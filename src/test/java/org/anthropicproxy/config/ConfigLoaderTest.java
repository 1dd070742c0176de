package org.anthropicproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private Path file(String yaml) throws Exception {
        Path f = dir.resolve("config.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private ProxyConfig load(String yaml, Map<String, String> env, CliOverrides cli) throws Exception {
        return new ConfigLoader(env).load(file(yaml), cli);
    }

    @Test
    void theDocumentedExampleLoads() throws Exception {
        ProxyConfig c = load("""
                server: {host: 127.0.0.1, port: 8080}
                providers:
                  native:
                    base_url: http://127.0.0.1:9100
                  mine:
                    kind: anthropic
                    base_url: https://api.example.com
                    api_key: ${MY_KEY}
                    headers: {X-Team: infra}
                    models:
                      opus: some-opus
                      "claude-*-sonnet-*": some-sonnet
                route: [native]
                """, Map.of("MY_KEY", "k-123"), CliOverrides.none());
        assertThat(c.route()).containsExactly("native");
        assertThat(c.provider("native").baseUrl().toString()).isEqualTo("http://127.0.0.1:9100");
        assertThat(c.provider("native").headers()).containsKey("x-claude-code-internal");
        assertThat(c.provider("native").models()).containsEntry("opus", "claude-4.5-opus");
        assertThat(c.provider("mine").apiKey()).isEqualTo("k-123");
        assertThat(c.provider("mine").headers()).containsEntry("X-Team", "infra");
        assertThat(c.provider("mine").models().keySet()).containsExactly("opus", "claude-*-sonnet-*");
    }

    @Test
    void envDefaultsApplyAndFlagsOverrideTheFile() throws Exception {
        ProxyConfig c = load("""
                server: {port: "${PORT:-9001}"}
                route: [codebuddy]
                """, Map.of(), new CliOverrides("0.0.0.0", 9100, "native", "x.log", "DEBUG", "q.json"));
        assertThat(c.server().port()).isEqualTo(9100);
        assertThat(c.server().host()).isEqualTo("0.0.0.0");
        assertThat(c.route()).containsExactly("native");
        assertThat(c.logFile()).isEqualTo("x.log");
        assertThat(c.quotaStore()).isEqualTo("q.json");
        ProxyConfig d = load("server: {port: \"${PORT:-9001}\"}", Map.of(), CliOverrides.none());
        assertThat(d.server().port()).isEqualTo(9001);
    }

    @Test
    void clientDeadlinesAndTheConnectionCapHaveNginxLikeDefaultsAndAreRead() throws Exception {
        ProxyConfig d = load("route: [hybrid]", Map.of(), CliOverrides.none());
        assertThat(d.server().clientHeaderTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.server().keepAliveTimeout()).isEqualTo(Duration.ofSeconds(75));
        assertThat(d.server().clientBodyTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.server().maxConnections()).isEqualTo(10_000);
        ProxyConfig c = load(
                "server: {client_header_timeout: 2s, keep_alive_timeout: 3s, client_body_timeout: 4s, max_connections: 50}",
                Map.of(),
                CliOverrides.none());
        assertThat(c.server().clientHeaderTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.server().keepAliveTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.server().clientBodyTimeout()).isEqualTo(Duration.ofSeconds(4));
        assertThat(c.server().maxConnections()).isEqualTo(50);
        assertThatThrownBy(() -> load("server: {max_connections: 0}", Map.of(), CliOverrides.none()))
                .hasMessageContaining("server.max_connections");
    }

    @Test
    void withoutRouteOrProviderTheHybridChainIsTheDefault() throws Exception {
        assertThat(new ConfigLoader(Map.of()).load(null, CliOverrides.none()).route())
                .containsExactly("native", "codebuddy");
        assertThat(load("route: [hybrid]", Map.of(), CliOverrides.none()).route())
                .containsExactly("native", "codebuddy");
    }

    @Test
    void modelRoutesAreRead() throws Exception {
        ProxyConfig c = load("""
                routes:
                  - {match: "claude-*haiku*", chain: [codebuddy]}
                """, Map.of(), CliOverrides.none());
        assertThat(c.modelRoutes()).containsExactly(new ModelRoute("claude-*haiku*", List.of("codebuddy")));
    }

    @Test
    void errorsNameTheKeyAndTheFile() throws Exception {
        String f = dir.resolve("config.yaml").toString();
        assertThatThrownBy(() -> load("servr: {}", Map.of(), CliOverrides.none()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("servr")
                .hasMessageContaining(f);
        assertThatThrownBy(() ->
                        load("providers: {x: {kind: anthropic, base_url: 'not a url'}}", Map.of(), CliOverrides.none()))
                .hasMessageContaining("providers.x.base_url")
                .hasMessageContaining(f);
        assertThatThrownBy(() -> load("providers: {x: {kind: anthropic}}", Map.of(), CliOverrides.none()))
                .hasMessageContaining("providers.x.base_url: missing value");
        assertThatThrownBy(
                        () -> load("providers: {x: {kind: grpc, base_url: 'http://a'}}", Map.of(), CliOverrides.none()))
                .hasMessageContaining("providers.x.kind");
        assertThatThrownBy(() -> load(
                        "providers: {x: {kind: anthropic, base_url: 'http://a', colour: red}}",
                        Map.of(),
                        CliOverrides.none()))
                .hasMessageContaining("providers.x.colour");
        assertThatThrownBy(() -> load(
                        "providers: {x: {kind: anthropic, base_url: 'http://a', api_key: '${NOPE}'}}",
                        Map.of(),
                        CliOverrides.none()))
                .hasMessageContaining("NOPE")
                .hasMessageContaining("providers.x.api_key");
        assertThatThrownBy(() -> load("route: [ghost]", Map.of(), CliOverrides.none()))
                .hasMessageContaining("ghost");
        assertThatThrownBy(() -> load("server: {port: eighty}", Map.of(), CliOverrides.none()))
                .hasMessageContaining("server.port");
        assertThatThrownBy(() -> load("server: {ping_interval: soon}", Map.of(), CliOverrides.none()))
                .hasMessageContaining("server.ping_interval");
        assertThatThrownBy(() -> load("key: [unclosed", Map.of(), CliOverrides.none()))
                .hasMessageContaining("not valid YAML");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(dir.resolve("missing.yaml"), CliOverrides.none()))
                .hasMessageContaining("does not exist");
    }
}
