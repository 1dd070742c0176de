package org.anthropicproxy.quota;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 a JVM that is writing the state file, at random moments, many times: the file must always parse. */
class FileQuotaStoreCrashTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int ROUNDS = 20;

    @TempDir
    Path dir;

    @Test
    @Timeout(240)
    void fileAlwaysParsesAfterKillDashNine() throws Exception {
        Path file = dir.resolve("state/quota_state.json");
        Random random = new Random(42);
        long lastCount = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Process child = startWriter(file);
            try {
                long killAfter = 1L + random.nextInt(300);
                BufferedReader out =
                        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                String line;
                long seen = 0;
                while ((line = out.readLine()) != null) {
                    if (++seen >= killAfter) break;
                }
                assertThat(line)
                        .as("child wrote %s changes before dying; stderr: %s", seen, stderr(child))
                        .isNotNull();
                child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no finally blocks
                assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
            } finally {
                child.destroyForcibly();
            }

            assertThat(file).exists();
            JsonNode root = JSON.readTree(Files.readAllBytes(file));
            assertThat(root.isObject())
                    .as("round %d: the file is a whole JSON object", round)
                    .isTrue();
            assertThat(root.get("version").asInt()).as("round %d", round).isEqualTo(2);
            long count = root.get("native").get("request_count").asLong();
            assertThat(count).as("round %d: count survives and grows", round).isGreaterThan(lastCount);
            lastCount = count;

            try (FileQuotaStore store = new FileQuotaStore(file)) {
                assertThat(store.get("native").requestCount()).isEqualTo(count);
            }
            assertThat(siblings(file, ".corrupt-")).as("nothing set aside").isEmpty();
            assertThat(siblings(file, ".tmp-"))
                    .as("stray temp files removed on open")
                    .isEmpty();
        }
    }

    private static Process startWriter(Path file) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(
                        java,
                        "-Xmx64m",
                        "-XX:TieredStopAtLevel=1",
                        "-Dlogback.configurationFile=/nonexistent",
                        "-cp",
                        System.getProperty("java.class.path"),
                        QuotaStateWriterMain.class.getName(),
                        file.toString())
                .redirectError(ProcessBuilder.Redirect.PIPE)
                .start();
    }

    private static String stderr(Process p) {
        try {
            if (p.isAlive()) return "(alive)";
            return new String(p.getErrorStream().readNBytes(4000), StandardCharsets.UTF_8);
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static List<Path> siblings(Path file, String marker) throws Exception {
        try (Stream<Path> s = Files.list(file.getParent())) {
            return s.filter(p -> p.getFileName().toString().contains(marker)).toList();
        }
    }
}
