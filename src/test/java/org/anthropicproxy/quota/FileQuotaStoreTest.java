package org.anthropicproxy.quota;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(20)
class FileQuotaStoreTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void roundTripKeepsEveryField() throws IOException {
        Path file = dir.resolve("nested/deeper/quota_state.json");
        Instant t0 = Instant.parse("2026-11-24T10:15:30.123Z");
        try (FileQuotaStore store = new FileQuotaStore(file)) {
            store.recordRequest("native", t0);
            store.recordRequest("native", t0.plusSeconds(1));
            store.markExhausted("native", t0.plusSeconds(2), Instant.parse("2026-11-30T00:00:00Z"), "本周额度已用尽");
            store.markCooldown("codebuddy", t0.plusSeconds(60), "HTTP 529 overloaded_error: Overloaded");
        }
        assertThat(file).exists();
        JsonNode root = JSON.readTree(file.toFile());
        assertThat(root.get("version").asInt()).isEqualTo(2);
        assertThat(root.get("native").get("quota_exhausted").asBoolean()).isTrue();
        assertThat(root.get("native").get("reset_at").asText()).isEqualTo("2026-11-30T00:00:00.000Z");
        assertThat(root.get("native").get("request_count").asLong()).isEqualTo(2);

        try (FileQuotaStore again = new FileQuotaStore(file)) {
            ProviderState n = again.get("native");
            assertThat(n)
                    .isEqualTo(new ProviderState(
                            true,
                            t0.plusSeconds(2),
                            Instant.parse("2026-11-30T00:00:00Z"),
                            "本周额度已用尽",
                            2,
                            t0.plusSeconds(1),
                            null,
                            null));
            ProviderState c = again.get("codebuddy");
            assertThat(c.cooldownUntil()).isEqualTo(t0.plusSeconds(60));
            assertThat(c.cooldownReason()).isEqualTo("HTTP 529 overloaded_error: Overloaded");
            assertThat(c.lastError()).isEqualTo("HTTP 529 overloaded_error: Overloaded");
            assertThat(again.all()).containsOnlyKeys("native", "codebuddy");
            assertThat(again.get("unknown")).isEqualTo(ProviderState.EMPTY);
        }
    }

    @Test
    void burstOfRequestCountsReachesTheFileWithoutClosingAndAnExhaustionIsWrittenAtOnce() throws Exception {
        Path file = dir.resolve("quota_state.json");
        Instant t0 = Instant.parse("2026-11-24T10:15:30Z");
        try (FileQuotaStore store = new FileQuotaStore(file)) {
            for (int i = 1; i <= 500; i++) {
                store.recordRequest("native", t0.plusMillis(i));
            }
            long deadline = System.nanoTime() + 15_000_000_000L; // the coalesced flush comes within ~5 s
            while (countOnDisk(file) != 500 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(10_000_000L);
            }
            assertThat(countOnDisk(file)).isEqualTo(500);

            store.recordRequest("native", t0.plusSeconds(1));
            store.markExhausted("native", t0.plusSeconds(2), null, "weekly limit");
            JsonNode n = JSON.readTree(file.toFile()).get("native");
            assertThat(n.get("quota_exhausted").asBoolean()).isTrue();
            assertThat(n.get("request_count").asLong()).isEqualTo(501);
        }
    }

    private static long countOnDisk(Path file) {
        try {
            return JSON.readTree(file.toFile())
                    .path("native")
                    .path("request_count")
                    .asLong(-1);
        } catch (IOException e) {
            return -1; // not written yet
        }
    }

    @Test
    void resetClearsExhaustionAndCooldownButKeepsCounters() {
        Path file = dir.resolve("q.json");
        Instant t = Instant.parse("2026-11-24T10:00:00Z");
        try (FileQuotaStore store = new FileQuotaStore(file)) {
            store.recordRequest("a", t);
            store.markExhausted("a", t, t.plusSeconds(3600), "weekly limit");
            store.markCooldown("a", t.plusSeconds(30), "busy");
            store.markExhausted("b", t, t.plusSeconds(3600), "x");
            store.reset("a");
            ProviderState a = store.get("a");
            assertThat(a.quotaExhausted()).isFalse();
            assertThat(a.resetAt()).isNull();
            assertThat(a.cooldownUntil()).isNull();
            assertThat(a.requestCount()).isEqualTo(1);
            assertThat(store.get("b").quotaExhausted()).isTrue();
            store.resetAll();
            assertThat(store.get("b").quotaExhausted()).isFalse();
        }
        try (FileQuotaStore again = new FileQuotaStore(file)) {
            assertThat(again.get("b").quotaExhausted()).isFalse();
            assertThat(again.get("a").requestCount()).isEqualTo(1);
        }
    }

    @Test
    void cooldownIsExtendedNeverShortened() {
        Instant t = Instant.parse("2026-11-24T10:00:00Z");
        try (FileQuotaStore store = new FileQuotaStore(dir.resolve("q.json"))) {
            store.markCooldown("a", t.plusSeconds(60), "long");
            store.markCooldown("a", t.plusSeconds(10), "short");
            assertThat(store.get("a").cooldownUntil()).isEqualTo(t.plusSeconds(60));
            assertThat(store.get("a").cooldownReason()).isEqualTo("long");
            assertThat(store.get("a").lastError()).isEqualTo("short");
        }
    }

    @Test
    void clearExpiredOnlyClearsWhatRanOut() {
        Instant t = Instant.parse("2026-11-24T10:00:00Z");
        try (FileQuotaStore store = new FileQuotaStore(dir.resolve("q.json"))) {
            store.markExhausted("a", t, t.plusSeconds(100), "x");
            store.markCooldown("a", t.plusSeconds(10), "y");
            assertThat(store.clearExpired("a", t.plusSeconds(5))).isFalse();
            assertThat(store.clearExpired("a", t.plusSeconds(10))).isTrue();
            assertThat(store.get("a").cooldownUntil()).isNull();
            assertThat(store.get("a").quotaExhausted()).isTrue();
            assertThat(store.clearExpired("a", t.plusSeconds(100))).isTrue();
            assertThat(store.get("a").quotaExhausted()).isFalse();
            assertThat(store.clearExpired("never-seen", t)).isFalse();
        }
    }

    @Test
    void readsTheSeedFormatMappingNativeApiToNative() throws IOException {
        Path file = dir.resolve("quota_state.json");
        // exactly what the Python anthropic_server.py's json.dump writes: naive local timestamps, ensure_ascii=False,
        // indent=2
        Files.writeString(file, """
                {
                  "native_api": {
                    "quota_exhausted": true,
                    "exhausted_at": "2026-11-25T14:03:11.512345",
                    "reset_at": "2026-11-30T00:00:00",
                    "last_error": "本周额度已用尽",
                    "request_count": 42,
                    "last_request_at": "2026-11-25T14:03:10.000001"
                  },
                  "version": 2
                }
                """, StandardCharsets.UTF_8);
        ZoneId local = ZoneId.systemDefault();
        try (FileQuotaStore store = new FileQuotaStore(file)) {
            ProviderState n = store.get("native");
            assertThat(n.quotaExhausted()).isTrue();
            assertThat(n.resetAt())
                    .isEqualTo(LocalDateTime.parse("2026-11-30T00:00:00")
                            .atZone(local)
                            .toInstant());
            assertThat(n.exhaustedAt())
                    .isEqualTo(LocalDateTime.parse("2026-11-25T14:03:11.512345")
                            .atZone(local)
                            .toInstant());
            assertThat(n.lastError()).isEqualTo("本周额度已用尽");
            assertThat(n.requestCount()).isEqualTo(42);
            assertThat(n.cooldownUntil()).isNull();
            assertThat(store.all()).containsOnlyKeys("native");
            store.recordRequest("native", Instant.parse("2026-11-26T00:00:00Z"));
        }
        JsonNode root = JSON.readTree(file.toFile());
        assertThat(root.has("native")).isTrue();
        assertThat(root.has("native_api")).isFalse();
        assertThat(root.get("native").get("request_count").asLong()).isEqualTo(43);
        assertThat(root.get("native").get("quota_exhausted").asBoolean()).isTrue();
    }

    @Test
    void pythonFileWithMissingKeysAndOddValuesIsReadLeniently() throws IOException {
        Path file = dir.resolve("quota_state.json");
        Files.writeString(
                file,
                "{\"native_api\":{\"quota_exhausted\":false,\"request_count\":\"many\",\"reset_at\":\"soon\"},"
                        + "\"version\":2,\"notes\":\"hello\"}");
        try (FileQuotaStore store = new FileQuotaStore(file)) {
            assertThat(store.get("native")).isEqualTo(ProviderState.EMPTY);
            assertThat(listCorrupt()).isEmpty();
        }
    }

    @Test
    void corruptFileIsSetAsideAndAFreshStateBegins() throws IOException {
        Path file = dir.resolve("quota_state.json");
        Files.writeString(file, "{\"native\": {\"quota_exhausted\": tr");
        try (FileQuotaStore store = new FileQuotaStore(file)) {
            assertThat(store.all()).isEmpty();
            assertThat(file).doesNotExist();
            List<Path> corrupt = listCorrupt();
            assertThat(corrupt).hasSize(1);
            assertThat(corrupt.get(0).getFileName().toString()).startsWith("quota_state.json.corrupt-");
            assertThat(Files.readString(corrupt.get(0))).isEqualTo("{\"native\": {\"quota_exhausted\": tr");
            store.recordRequest("native", Instant.parse("2026-11-26T00:00:00Z"));
        }
        assertThat(JSON.readTree(file.toFile())
                        .get("native")
                        .get("request_count")
                        .asLong())
                .isEqualTo(1);
    }

    @Test
    void emptyAndNonObjectFilesAreSetAsideToo() throws IOException {
        Path file = dir.resolve("quota_state.json");
        Files.writeString(file, "");
        new FileQuotaStore(file).close();
        Files.writeString(file, "[1,2,3]");
        new FileQuotaStore(file).close();
        assertThat(listCorrupt()).hasSize(2);
    }

    @Test
    void aDirectoryInPlaceOfTheFileIsAClearError() throws IOException {
        Path file = dir.resolve("quota_state.json");
        Files.createDirectories(file);
        Assertions.assertThatThrownBy(() -> new FileQuotaStore(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is a directory");
        assertThat(file).isDirectory();
    }

    @Test
    void strayTempFilesFromACrashAreDeleted() throws IOException {
        Path file = dir.resolve("quota_state.json");
        Path stray = dir.resolve("quota_state.json.tmp-12345");
        Files.writeString(stray, "{\"half\":");
        try (FileQuotaStore store = new FileQuotaStore(file)) {
            assertThat(stray).doesNotExist();
            assertThat(store.all()).isEmpty();
        }
    }

    @Test
    void concurrentWritersLoseNoCount() throws Exception {
        Path file = dir.resolve("q.json");
        int threads = 8;
        int each = 50;
        try (FileQuotaStore store = new FileQuotaStore(file);
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int n = i;
                futures.add(pool.submit(() -> {
                    for (int j = 0; j < each; j++) {
                        store.recordRequest("p", Instant.ofEpochSecond(1_800_000_000L + j));
                        if (j % 10 == 0) store.markCooldown("p" + n, Instant.ofEpochSecond(1_800_000_000L + j), "r");
                    }
                }));
            }
            for (Future<?> f : futures) f.get();
            assertThat(store.get("p").requestCount()).isEqualTo((long) threads * each);
        }
        try (FileQuotaStore again = new FileQuotaStore(file)) {
            assertThat(again.get("p").requestCount()).isEqualTo((long) threads * each);
            assertThat(again.all()).hasSize(threads + 1);
        }
    }

    private List<Path> listCorrupt() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().contains(".corrupt-"))
                    .toList();
        }
    }
}
