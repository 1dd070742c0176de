package org.anthropicproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** start.sh and the Java launchers ({@code claude --start}, {@code service install}) start the proxy with one list of flags. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class JvmFlagsTest {

    private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

    @Test
    void startShAndTheJavaLaunchersPickTheSameFlagsForTheSameJdk() throws Exception {
        Process p = new ProcessBuilder("./start.sh", "--print-jvm-opts")
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().close();
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(printed).isZero();

        assertThat(String.join(" ", JvmFlags.forJava(JAVA, Path.of("target")))).isEqualTo(printed);
        assertThat(printed).contains("-XX:+UseSerialGC", "-XX:SharedArchiveFile=target/anthropic-proxy.jsa");
    }

    @Test
    void aFlagTheJvmRejectsIsLeftOutAndTheLaunchCommandCarriesTheRest(@TempDir Path dir) throws Exception {
        List<String> flags = JvmFlags.forJava(Path.of("/nonexistent/bin/java"), Path.of("/opt/proxy"));

        assertThat(flags)
                .contains("-XX:+UseSerialGC", "-XX:SharedArchiveFile=/opt/proxy/anthropic-proxy.jsa")
                .doesNotContain("-XX:+UseCompactObjectHeaders", "-XX:TrimNativeHeapInterval=5000");
        Path jar = Files.writeString(dir.resolve("anthropic-proxy.jar"), "");
        List<String> cmd = new SelfLaunch(jar, JAVA, jar.toString()).javaCommand();
        assertThat(cmd.get(0)).isEqualTo(JAVA.toString());
        assertThat(cmd)
                .containsSubsequence(
                        "-XX:+UseSerialGC",
                        "-XX:SharedArchiveFile=" + dir.resolve("anthropic-proxy.jsa"),
                        "-jar",
                        jar.toString());
    }
}
