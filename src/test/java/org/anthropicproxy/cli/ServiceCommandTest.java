package org.anthropicproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServiceCommandTest {

    @TempDir
    Path home;

    @TempDir
    Path elsewhere;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private Path project;
    private SelfLaunch buildTree;

    @BeforeEach
    void layout() throws Exception {
        // a build tree: <project>/target/classes next to <project>/start.sh
        project = elsewhere.resolve("project");
        Files.createDirectories(project.resolve("target/classes"));
        Files.writeString(project.resolve("start.sh"), "#!/bin/sh\n");
        buildTree = new SelfLaunch(project.resolve("target/classes"), Path.of("/opt/jdk/bin/java"), "cp");
    }

    private int run(SelfLaunch launch, String... args) {
        return new CommandLine(new ServiceCommand(home, launch))
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
    }

    private Path unitFile() {
        return home.resolve(".config/systemd/user/anthropic-proxy.service");
    }

    @Test
    void dryRunPrintsAUnitRunningStartShWithTheFlagsAndWritesNothing() throws Exception {
        Path config = elsewhere.resolve("config.yaml");
        Files.writeString(config, "server: {port: 9100}\n");
        assertThat(run(
                        buildTree,
                        "install",
                        "--dry-run",
                        "--provider",
                        "native",
                        "--port",
                        "9000",
                        "--host",
                        "0.0.0.0",
                        "--config",
                        config.toString()))
                .isZero();

        SystemdUnit unit = SystemdUnit.parse(out.toString());
        assertThat(unit.sections).containsOnlyKeys("Unit", "Service", "Install");
        assertThat(SystemdUnit.execWords(unit.get("Service", "ExecStart")))
                .containsExactly(
                        project.resolve("start.sh").toString(),
                        "--provider",
                        "native",
                        "--port",
                        "9000",
                        "--host",
                        "0.0.0.0",
                        "--config",
                        config.toString());
        assertThat(unit.get("Service", "Restart")).isEqualTo("on-failure");
        assertThat(unit.get("Service", "WorkingDirectory")).isEqualTo(project.toString());
        assertThat(unit.get("Service", "Environment")).isEqualTo("JAVA_HOME=/opt/jdk");
        assertThat(unit.get("Service", "EnvironmentFile")).isEqualTo("-" + home.resolve(".config/anthropic-proxy/env"));
        assertThat(unit.get("Install", "WantedBy")).isEqualTo("default.target");
        assertThat(unitFile()).doesNotExist();
        assertThat(err.toString()).contains("dry run").contains(unitFile().toString());
    }

    @Test
    void outsideABuildTreeTheUnitRunsTheJarWithThisJavaFromTheStateDirectory() throws Exception {
        // awkward characters on purpose: systemd expands % and $, and splits on spaces
        Path jar = elsewhere.resolve("my apps/100% $proxy/anthropic-proxy.jar");
        Files.createDirectories(jar.getParent());
        Files.writeString(jar, "");
        SelfLaunch installed = new SelfLaunch(jar, Path.of("/opt/my jdk/bin/java"), jar.toString());
        assertThat(run(installed, "install", "--dry-run", "--port", "8123")).isZero();

        SystemdUnit unit = SystemdUnit.parse(out.toString());
        List<String> exec = SystemdUnit.execWords(unit.get("Service", "ExecStart"));
        assertThat(exec.get(0)).isEqualTo("/opt/my jdk/bin/java");
        assertThat(exec.subList(exec.size() - 4, exec.size()))
                .containsExactly("-jar", jar.toString(), "--port", "8123");
        assertThat(exec)
                .as("the proxy's JVM flags (jvm.options), the archive beside the jar")
                .contains(
                        "-XX:+UseSerialGC",
                        "-Xmx512m",
                        "-XX:SharedArchiveFile=" + jar.getParent().resolve("anthropic-proxy.jsa"));
        assertThat(unit.get("Service", "WorkingDirectory"))
                .isEqualTo(home.resolve(".local/state/anthropic-proxy").toString());
        assertThat(unit.get("Service", "Environment")).isEqualTo("\"JAVA_HOME=/opt/my jdk\"");
    }

    @Test
    void installAndUninstallRoundTripInHome() throws Exception {
        assertThat(run(buildTree, "install", "--dry-run", "--provider", "codebuddy"))
                .isZero();
        String expected = out.toString();
        out.getBuffer().setLength(0);

        assertThat(run(buildTree, "install", "--provider", "codebuddy")).isZero();
        assertThat(unitFile()).hasContent(expected.stripTrailing());
        assertThat(out.toString())
                .contains("wrote " + unitFile())
                .contains("systemctl --user daemon-reload")
                .contains("systemctl --user enable --now anthropic-proxy")
                .contains("systemctl --user status anthropic-proxy")
                .contains("journalctl --user -u anthropic-proxy -f")
                .contains("log file  " + project.resolve("anthropic_server.log"));
        assertThat(unitFile().resolveSibling("anthropic-proxy.service.tmp")).doesNotExist();

        // what `systemctl --user enable` does on disk
        Path wants = unitFile().resolveSibling("default.target.wants/anthropic-proxy.service");
        Files.createDirectories(wants.getParent());
        Files.createSymbolicLink(wants, unitFile());

        out.getBuffer().setLength(0);
        assertThat(run(buildTree, "uninstall")).isZero();
        assertThat(unitFile()).doesNotExist();
        assertThat(Files.exists(wants, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(out.toString())
                .contains("removed " + unitFile())
                .contains("systemctl --user stop anthropic-proxy")
                .contains("systemctl --user daemon-reload")
                .contains("systemctl --user disable --now anthropic-proxy");

        out.getBuffer().setLength(0);
        assertThat(run(buildTree, "uninstall")).isZero();
        assertThat(out.toString()).contains("no service installed");
    }

    @Test
    void installingAgainReplacesTheUnitAndSaysRestart() throws Exception {
        assertThat(run(buildTree, "install", "--port", "9000")).isZero();
        out.getBuffer().setLength(0);
        assertThat(run(buildTree, "install", "--port", "9001")).isZero();
        assertThat(out.toString()).contains("replaced").contains("restart anthropic-proxy");
        assertThat(SystemdUnit.execWords(
                        SystemdUnit.parse(Files.readString(unitFile())).get("Service", "ExecStart")))
                .containsSequence("--port", "9001");
    }

    @Test
    void aBadConfigOrProviderExitsTwoAndWritesNothing() throws Exception {
        assertThat(run(buildTree, "install", "--provider", "nowhere")).isEqualTo(2);
        assertThat(err.toString()).contains("nowhere");
        Path bad = elsewhere.resolve("bad.yaml");
        Files.writeString(bad, "server: {port: 99999}\n");
        assertThat(run(buildTree, "install", "--config", bad.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("server.port").contains(bad.toString());
        assertThat(unitFile()).doesNotExist();
    }

    @Test
    void theRealEntryPointKnowsTheSubcommand() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
        PrintStream original = System.out;
        PrintStream originalErr = System.err;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(capturedErr, true, StandardCharsets.UTF_8));
        try {
            Path config = elsewhere.resolve("c.yaml");
            Files.writeString(config, "route: [native]\n");
            assertThat(Main.run("service", "install", "--dry-run", "--config", config.toString()))
                    .isZero();
        } finally {
            System.setOut(original);
            System.setErr(originalErr);
        }
        assertThat(capturedErr.toString(StandardCharsets.UTF_8)).contains("dry run");
        SystemdUnit unit = SystemdUnit.parse(captured.toString(StandardCharsets.UTF_8));
        List<String> words = SystemdUnit.execWords(unit.get("Service", "ExecStart"));
        assertThat(words.subList(words.size() - 2, words.size()))
                .containsExactly("--config", elsewhere.resolve("c.yaml").toString());
    }

    @Test
    void thePackagersTemplateIsAUnitOfTheSameShape() throws Exception {
        Path template = Path.of("deploy/anthropic-proxy.service");
        SystemdUnit unit = SystemdUnit.parse(Files.readString(template));
        assertThat(unit.sections).containsOnlyKeys("Unit", "Service", "Install");
        assertThat(unit.get("Service", "Restart")).isEqualTo("on-failure");
        assertThat(unit.get("Service", "WorkingDirectory")).isEqualTo("%S/anthropic-proxy");
        List<String> exec = SystemdUnit.execWords(unit.get("Service", "ExecStart"));
        assertThat(exec).contains("-jar").contains("--provider");
        assertThat(unit.get("Install", "WantedBy")).isEqualTo("default.target");
    }

    @Test
    void theUnitReaderRejectsWhatSystemdWould() {
        assertThatThrownBy(() -> SystemdUnit.parse("ExecStart=/bin/true\n")).hasMessageContaining("outside a section");
        assertThatThrownBy(() -> SystemdUnit.parse("[Service]\njust words\n")).hasMessageContaining("Key=Value");
        assertThatThrownBy(() -> SystemdUnit.execWords("/bin/echo 100%")).hasMessageContaining("unescaped %");
        assertThatThrownBy(() -> SystemdUnit.execWords("/bin/echo \"open")).hasMessageContaining("unterminated");
        assertThat(SystemdUnit.execWords("/bin/echo \"a b\" c%%d $$e"))
                .isEqualTo(new ArrayList<>(List.of("/bin/echo", "a b", "c%d", "$e")));
    }

    @Test
    void withXdgConfigHomeTheUnitGoesThereAndTheConfigFoundThereIsNamedInTheUnit() throws Exception {
        Path xdg = elsewhere.resolve("xdg-config");
        Path config = xdg.resolve("anthropic-proxy/config.yaml");
        Files.createDirectories(config.getParent());
        Files.writeString(config, "server: {port: 9111}\n");
        org.anthropicproxy.files.UserDirs dirs =
                org.anthropicproxy.files.UserDirs.under(home, Map.of("XDG_CONFIG_HOME", xdg.toString()));
        int code = new CommandLine(new ServiceCommand(dirs, buildTree))
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute("install");
        assertThat(code).as(err.toString()).isZero();

        Path unitFile = xdg.resolve("systemd/user/anthropic-proxy.service");
        SystemdUnit unit = SystemdUnit.parse(Files.readString(unitFile));
        // the service manager does not pass XDG_CONFIG_HOME on: the unit names the file found through it
        assertThat(SystemdUnit.execWords(unit.get("Service", "ExecStart")))
                .containsSequence("--config", config.toString());
        assertThat(unit.get("Service", "EnvironmentFile")).isEqualTo("-" + xdg.resolve("anthropic-proxy/env"));
        assertThat(unitFile()).doesNotExist();
    }
}
