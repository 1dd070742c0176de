package org.anthropicproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.anthropicproxy.testkit.ProxyHarness;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClaudeCommandTest {

    private static final String PROVIDERS = """
            providers:
              x: {kind: anthropic, base_url: "http://127.0.0.1:9", api_key: upstream-key}
            route: [x]
            """;

    @TempDir
    Path home;

    @TempDir
    Path work;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final Map<String, String> env = new HashMap<>();
    private SelfLaunch launch;

    @BeforeEach
    void setUp() throws Exception {
        // not a build tree, so a started proxy runs in ~/.local/state/anthropic-proxy under the temp home
        launch = new SelfLaunch(
                work.resolve("classes"), SelfLaunch.current().javaBin(), System.getProperty("java.class.path"));
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    }

    private int run(String... args) {
        return new CommandLine(new ClaudeCommand(home, launch, env))
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
    }

    /** The export lines as name → value (values unquoted the way sh would). */
    private Map<String, String> exports() {
        Map<String, String> m = new HashMap<>();
        for (String line : out.toString().lines().toList()) {
            Matcher e = Pattern.compile("export ([A-Z_]+)=(.*)").matcher(line);
            if (e.matches()) {
                String v = e.group(2);
                if (v.startsWith("'")) {
                    v = v.substring(1, v.length() - 1).replace("'\\''", "'");
                }
                m.put(e.group(1), v);
            } else {
                assertThat(line).startsWith("#");
            }
        }
        return m;
    }

    private String url() {
        return exports().get("ANTHROPIC_BASE_URL");
    }

    private Path file(String name, String content) throws Exception {
        Path f = work.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, content);
        return f;
    }

    @Test
    void printEnvWithoutConfigOrFlagsPointsAtTheDefaultAddress() {
        assertThat(run("--print-env")).isZero();
        assertThat(exports())
                .containsEntry("ANTHROPIC_BASE_URL", "http://127.0.0.1:8080")
                .containsEntry("ANTHROPIC_AUTH_TOKEN", "anthropic-proxy")
                .hasSize(2);
        assertThat(out.toString())
                .contains("\"claudeCode.environmentVariables\"")
                .contains("~/.claude/settings.json")
                .contains("hasCompletedOnboarding");
    }

    @Test
    void printEnvFollowsFlags() {
        assertThat(run("--print-env", "--host", "10.1.2.3", "--port", "9001")).isZero();
        assertThat(url()).isEqualTo("http://10.1.2.3:9001");
    }

    @Test
    void aWildcardListenAddressIsReachedOnLoopbackAndIpv6IsBracketed() {
        assertThat(run("--print-env", "--host", "0.0.0.0", "--port", "9002")).isZero();
        assertThat(url()).isEqualTo("http://127.0.0.1:9002");
        out.getBuffer().setLength(0);
        assertThat(run("--print-env", "--host", "::1", "--port", "9003")).isZero();
        assertThat(url()).isEqualTo("http://[::1]:9003");
    }

    @Test
    void printEnvFollowsTheConfigFileAndFlagsWinOverIt() throws Exception {
        Path config = file("c.yaml", "server: {host: 127.0.0.2, port: 9100}\n");
        assertThat(run("--print-env", "--config", config.toString())).isZero();
        assertThat(url()).isEqualTo("http://127.0.0.2:9100");
        out.getBuffer().setLength(0);
        assertThat(run("--print-env", "--config", config.toString(), "--port", "9200"))
                .isZero();
        assertThat(url()).isEqualTo("http://127.0.0.2:9200");
    }

    @Test
    void theDefaultConfigFileInHomeIsUsed() throws Exception {
        Path cfg = home.resolve(".config/anthropic-proxy/config.yaml");
        Files.createDirectories(cfg.getParent());
        Files.writeString(cfg, "server: {port: 9300}\n");
        assertThat(run("--print-env")).isZero();
        assertThat(url()).isEqualTo("http://127.0.0.1:9300");
    }

    @Test
    void aRelativeConfigIsResolvedAgainstTheCallersDirectory() throws Exception {
        file("sub/rel.yaml", "server: {port: 9400}\n");
        env.put("ANTHROPIC_PROXY_CALLER_DIR", work.resolve("sub").toString());
        assertThat(run("--print-env", "--config", "rel.yaml")).isZero();
        assertThat(url()).isEqualTo("http://127.0.0.1:9400");
    }

    @Test
    void theFirstClientKeyIsTheToken() throws Exception {
        Path config = file("k.yaml", "client_keys: [\"it's key one\", key-two]\n");
        assertThat(run("--print-env", "--config", config.toString())).isZero();
        assertThat(exports()).containsEntry("ANTHROPIC_AUTH_TOKEN", "it's key one");
        assertThat(out.toString()).contains("export ANTHROPIC_AUTH_TOKEN='it'\\''s key one'");
    }

    @Test
    void digestOnlyClientKeysKeepTheUsersOwnToken() throws Exception {
        Path config = file("d.yaml", "client_keys: [\"sha256:" + "ab".repeat(32) + "\"]\n");
        env.put("ANTHROPIC_AUTH_TOKEN", "my-client-key");
        assertThat(run("--print-env", "--config", config.toString())).isZero();
        assertThat(exports()).containsEntry("ANTHROPIC_AUTH_TOKEN", "my-client-key");
    }

    @Test
    void aBadConfigExitsTwoNamingIt() throws Exception {
        Path config = file("bad.yaml", "server: {port: nope}\n");
        assertThat(run("--print-env", "--config", config.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("server.port").contains(config.toString());
    }

    @Test
    void theEntryPointTakesTheProxyFlagsBeforeOrAfterTheSubcommand() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        Path config = file("e.yaml", "server: {port: 9500}\n");
        try {
            assertThat(Main.run("--port", "9601", "claude", "--print-env", "--config", config.toString()))
                    .isZero();
            assertThat(Main.run("claude", "--port", "9602", "--print-env", "--config", config.toString()))
                    .isZero();
        } finally {
            System.setOut(original);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8))
                .contains("export ANTHROPIC_BASE_URL=http://127.0.0.1:9601")
                .contains("export ANTHROPIC_BASE_URL=http://127.0.0.1:9602");
    }

    @Test
    void whenNothingListensItSaysHowToStartTheProxyAndExitsThree() throws Exception {
        int port = freePort();
        assertThat(run("--port", Integer.toString(port), "-p", "hi")).isEqualTo(3);
        assertThat(err.toString())
                .contains("no proxy is answering at http://127.0.0.1:" + port)
                .contains(launch.startHint() + " --port " + port)
                .contains("claude --start --port " + port);
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void runsClaudeAgainstARunningProxyPassingItsArgumentsAndExitCode() throws Exception {
        Path record = work.resolve("claude-saw.txt");
        Path claude = fakeClaude(record);
        env.put("ANTHROPIC_API_KEY", "sk-should-not-reach-claude");
        env.put("ANTHROPIC_PROXY_CALLER_DIR", work.toString());
        try (ProxyHarness proxy = ProxyHarness.start(PROVIDERS)) {
            int code = run(
                    "--port",
                    Integer.toString(proxy.port()),
                    "--claude-bin",
                    claude.toString(),
                    "-p",
                    "hello world",
                    "--model",
                    "opus",
                    "--port",
                    "1");
            assertThat(code).isEqualTo(7);
            List<String> saw = Files.readAllLines(record);
            assertThat(saw)
                    .containsExactly(
                            "-p",
                            "hello world",
                            "--model",
                            "opus",
                            "--port",
                            "1",
                            "--",
                            "BASE=" + proxy.baseUrl(),
                            "TOKEN=anthropic-proxy",
                            "KEY=unset",
                            "PWD=" + work.toRealPath());
        }
    }

    @Test
    void startLaunchesTheProxyInTheBackgroundWhenNothingAnswers() throws Exception {
        int port = freePort();
        Path config = file("start.yaml", "server: {port: " + port + "}\n" + PROVIDERS);
        Path record = work.resolve("claude-saw.txt");
        Path claude = fakeClaude(record);
        long pid = -1;
        try {
            int code = run("--start", "--config", config.toString(), "--claude-bin", claude.toString(), "--", "--help");
            Matcher m = Pattern.compile("pid (\\d+)").matcher(err.toString());
            assertThat(m.find()).as(err.toString()).isTrue();
            pid = Long.parseLong(m.group(1));
            assertThat(code).as(err.toString()).isEqualTo(7);
            assertThat(Files.readAllLines(record)).startsWith("--help", "--").contains("BASE=http://127.0.0.1:" + port);
            assertThat(ClaudeCommand.healthProblem("http://127.0.0.1:" + port, Duration.ofSeconds(2)))
                    .isEmpty();
            Path state = home.resolve(".local/state/anthropic-proxy");
            assertThat(err.toString()).contains("log " + state.resolve("anthropic_server.log"));
            assertThat(state.resolve("anthropic_server.log")).exists();
        } finally {
            if (pid > 0) {
                ProcessHandle.of(pid).ifPresent(ph -> {
                    ph.destroy();
                    ph.onExit().orTimeout(10, TimeUnit.SECONDS).join();
                });
            }
        }
    }

    private Path fakeClaude(Path record) throws Exception {
        Path script = work.resolve("bin/claude");
        Files.createDirectories(script.getParent());
        Files.writeString(script, """
                #!/bin/sh
                { for a in "$@"; do printf '%%s\\n' "$a"; done
                  echo "--"
                  echo "BASE=$ANTHROPIC_BASE_URL"
                  echo "TOKEN=$ANTHROPIC_AUTH_TOKEN"
                  echo "KEY=${ANTHROPIC_API_KEY-unset}"
                  echo "PWD=$(pwd -P)"
                } > '%s'
                exit 7
                """.formatted(record));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void theDefaultConfigIsFoundUnderXdgConfigHomeThenUnderHome() throws Exception {
        Files.createDirectories(home.resolve(".config/anthropic-proxy"));
        Files.writeString(home.resolve(".config/anthropic-proxy/config.yaml"), "server: {port: 9201}\n");
        assertThat(run("--print-env")).isZero();
        assertThat(url()).isEqualTo("http://127.0.0.1:9201");

        Path xdg = work.resolve("xdg");
        Files.createDirectories(xdg.resolve("anthropic-proxy"));
        Files.writeString(xdg.resolve("anthropic-proxy/config.yaml"), "server: {port: 9202}\n");
        env.put("XDG_CONFIG_HOME", xdg.toString());
        out.getBuffer().setLength(0);
        assertThat(run("--print-env")).isZero();
        assertThat(url()).isEqualTo("http://127.0.0.1:9202");
    }
}
