package org.anthropicproxy.quota;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.ThreadCensus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two proxies started in one directory share its quota file: neither loses the other's changes. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class FileQuotaStoreSharingTest {

    private static final int WRITES = 150;

    @TempDir
    Path dir;

    @Test
    void twoProcessesWritingOneFileAtOnceKeepEveryChangeOfBoth() throws Exception {
        Path file = dir.resolve("quota_state.json");
        Process a = writer(file, "alpha");
        Process b = writer(file, "beta");
        try {
            for (Process p : List.of(a, b)) {
                assertThat(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
                                .readLine())
                        .isEqualTo("ready");
            }
            for (Process p : List.of(a, b)) { // both at once
                p.getOutputStream().write('\n');
                p.getOutputStream().flush();
            }
            for (Process p : List.of(a, b)) {
                assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue())
                        .as(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                        .isZero();
            }
        } finally {
            a.destroyForcibly();
            b.destroyForcibly();
        }
        try (FileQuotaStore store = new FileQuotaStore(file)) {
            for (String own : List.of("alpha", "beta")) {
                ProviderState s = store.get(own);
                assertThat(s.quotaExhausted()).as(own + ": " + s).isTrue();
                assertThat(s.lastError()).isEqualTo(own + " weekly limit");
                assertThat(s.cooldownReason()).isEqualTo(own + " cooling " + WRITES);
            }
            assertThat(store.get("shared").requestCount())
                    .as("counters of both add up")
                    .isEqualTo(2L * WRITES);
        }
    }

    @Test
    void aStoreSeesWhatAnotherWroteToItsFileWithinSeconds() throws Exception {
        Path file = dir.resolve("quota_state.json");
        Instant t = Instant.parse("2026-11-24T00:00:00Z");
        try (FileQuotaStore first = new FileQuotaStore(file);
                FileQuotaStore second = new FileQuotaStore(file)) {
            assertThat(second.get("native").quotaExhausted()).isFalse();
            first.markExhausted("native", t, t.plusSeconds(3600), "weekly limit");
            assertThat(ThreadCensus.await(
                            Duration.ofSeconds(10), () -> second.get("native").quotaExhausted()))
                    .as("seen by the other store")
                    .isTrue();
            second.markCooldown("codebuddy", t.plusSeconds(60), "overloaded");
            assertThat(ThreadCensus.await(
                            Duration.ofSeconds(10),
                            () -> "overloaded".equals(first.get("codebuddy").cooldownReason())))
                    .isTrue();
            assertThat(first.get("native").quotaExhausted())
                    .as("its own change kept")
                    .isTrue();
        }
    }

    private static Process writer(Path file, String own) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(
                        java,
                        "-Xmx64m",
                        "-XX:TieredStopAtLevel=1",
                        "-Dlogback.configurationFile=/nonexistent",
                        "-cp",
                        System.getProperty("java.class.path"),
                        QuotaSharingWriterMain.class.getName(),
                        file.toString(),
                        own,
                        Integer.toString(WRITES))
                .start();
    }
}
