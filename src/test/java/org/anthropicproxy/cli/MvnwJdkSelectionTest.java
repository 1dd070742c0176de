package org.anthropicproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./mvnw} works as the README writes it when the default java is older than 21 and a JDK >= 21 is installed
 * ({@code .mvn/select-jdk.sh}, sourced by mvnw before Maven starts). Needs a JDK >= 21 in one of the usual places
 * (/usr/lib/jvm on Debian), as the machines this project builds on have.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class MvnwJdkSelectionTest {

    @TempDir
    Path dir;

    /** A {@code java} that only answers {@code -version} as the given version would. */
    private Path fakeJdk(String name, String version) throws Exception {
        Path bin = Files.createDirectories(dir.resolve(name).resolve("bin"));
        for (String tool : List.of("java", "javac")) {
            Path f = bin.resolve(tool);
            Files.writeString(f, "#!/bin/sh\necho 'openjdk version \"" + version + "\" 2024-01-16' >&2\n");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return dir.resolve(name);
    }

    private String[] select(Map<String, String> env) throws Exception {
        ProcessBuilder pb =
                new ProcessBuilder("sh", "-c", "set -euf; . .mvn/select-jdk.sh; echo \"JAVA_HOME=${JAVA_HOME-}\"");
        pb.environment().clear();
        pb.environment().put("HOME", dir.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String[] {Integer.toString(p.exitValue()), out, err};
    }

    @Test
    void anOlderDefaultJavaIsReplacedByAnInstalledJdkOf21OrNewerWithOneLineSayingSo() throws Exception {
        Path old = fakeJdk("jdk17", "17.0.15");
        String[] r = select(Map.of("PATH", old.resolve("bin") + ":/usr/bin:/bin"));

        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[2])
                .startsWith("mvnw: Java 17 is the default; building with the JDK ")
                .doesNotContain("\n");
        Path chosen = Path.of(r[1].substring("JAVA_HOME=".length()));
        Process v = new ProcessBuilder(chosen.resolve("bin/java").toString(), "-XshowSettings:properties", "-version")
                .redirectErrorStream(true)
                .start();
        String settings = new String(v.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(v.waitFor(30, TimeUnit.SECONDS)).isTrue();
        int major = Integer.parseInt(settings.replaceAll("(?s).*java\\.specification\\.version = (\\d+).*", "$1"));
        assertThat(major).as(settings).isGreaterThanOrEqualTo(21);
    }

    @Test
    void aJavaHomeOf21OrNewerIsKeptSilently() throws Exception {
        Path jdk = fakeJdk("jdk21", "21.0.4");
        String[] r = select(Map.of("PATH", "/usr/bin:/bin", "JAVA_HOME", jdk.toString()));

        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1]).isEqualTo("JAVA_HOME=" + jdk);
        assertThat(r[2]).isEmpty();
    }
}
