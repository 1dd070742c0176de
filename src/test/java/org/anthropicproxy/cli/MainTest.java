package org.anthropicproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @BeforeEach
    void captureErr() {
        originalErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreErr() {
        System.setErr(originalErr);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void badFlagExitsTwoWithOneReadableLine() {
        assertThat(Main.run("--no-such-flag")).isEqualTo(2);
        assertThat(stderr().strip().lines()).hasSize(1);
        assertThat(stderr()).contains("--no-such-flag").doesNotContain("Exception");
    }

    @Test
    void badPortValueExitsTwo() {
        assertThat(Main.run("--port", "eighty")).isEqualTo(2);
        assertThat(stderr()).contains("--port").doesNotContain("at org.");
    }

    @Test
    void badConfigExitsTwoNamingKeyAndFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "providers:\n  mine: {kind: anthropic, base_url: 'ftp://x'}\n");
        assertThat(Main.run("--config", f.toString())).isEqualTo(2);
        assertThat(stderr()).contains("providers.mine.base_url").contains(f.toString());
        assertThat(stderr().strip().lines()).hasSize(1);
    }

    @Test
    void unknownProviderExitsTwo() {
        assertThat(Main.run("--provider", "nowhere")).isEqualTo(2);
        assertThat(stderr()).contains("nowhere");
    }

    @Test
    void badLogLevelExitsTwo() {
        assertThat(Main.run("--log-level", "LOUD")).isEqualTo(2);
        assertThat(stderr()).contains("--log-level");
    }

    @Test
    void aMalformedCaBundleExitsTwoNamingTheFile(@TempDir Path dir) throws Exception {
        Path bundle = dir.resolve("corp-ca.pem");
        Files.writeString(bundle, "not a certificate\n");
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "tls: {ca_file: \"" + bundle + "\"}\n");
        assertThat(Main.run(
                        "--config",
                        f.toString(),
                        "--port",
                        "0",
                        "--log-file",
                        dir.resolve("log").toString(),
                        "--quota-file",
                        dir.resolve("q.json").toString()))
                .isEqualTo(2);
        assertThat(stderr()).contains("tls.ca_file").contains(bundle.toString()).doesNotContain("at org.");
    }

    @Test
    void basicProxyCredentialsAreAllowedOnTunnelsUnlessTheUserSaidOtherwise() {
        String key = "jdk.http.auth.tunneling.disabledSchemes";
        String before = System.getProperty(key);
        try {
            System.clearProperty(key);
            Main.jvmDefaults();
            assertThat(System.getProperty(key)).isEmpty();
            System.setProperty(key, "Basic,Digest");
            Main.jvmDefaults();
            assertThat(System.getProperty(key)).isEqualTo("Basic,Digest");
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }
}
