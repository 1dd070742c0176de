package org.anthropicproxy.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class QuotaStoresTest {
    @TempDir
    Path dir;

    @Test
    void aPathOpensAFileStore() {
        Path file = dir.resolve("sub/quota_state.json");
        try (QuotaStore store = QuotaStores.open(file.toString())) {
            assertThat(store).isInstanceOf(FileQuotaStore.class);
            store.recordRequest("native", Instant.parse("2026-11-25T13:00:00Z"));
        }
        assertThat(file).exists();
    }

    @Test
    void blankIsRejected() {
        assertThatThrownBy(() -> QuotaStores.open(" ")).isInstanceOf(IllegalArgumentException.class);
    }
}
