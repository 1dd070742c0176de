package org.anthropicproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code usage:} and {@code pricing:} config keys. */
class UsageSettingsTest {

    @TempDir
    Path dir;

    private ProxyConfig load(String yaml) throws Exception {
        Path f = dir.resolve("config.yaml");
        Files.writeString(f, yaml);
        return new ConfigLoader(Map.of()).load(f, CliOverrides.none());
    }

    @Test
    void theStoreDefaultsToUsageDbBesideTheQuotaFileOrToTheQuotaRedis() throws Exception {
        assertThat(load("quota_store: /var/lib/ap/quota_state.json\n").usage().store())
                .isEqualTo("sqlite:/var/lib/ap/usage.db");
        assertThat(load("{}\n").usage().store()).isEqualTo("sqlite:usage.db");
        assertThat(load("quota_store: redis://127.0.0.1:6379/2\n").usage().store())
                .isEqualTo("redis://127.0.0.1:6379/2");
        ProxyConfig c = new ConfigLoader(Map.of())
                .load(null, new CliOverrides(null, null, null, null, null, "/tmp/q/state.json"));
        assertThat(c.usage().store()).isEqualTo("sqlite:/tmp/q/usage.db");
        assertThat(c.usage().retention()).isEqualTo(Duration.ofDays(90));
        assertThat(c.usage().pricing()).isEmpty();
    }

    @Test
    void storeRetentionAndPricesAreRead() throws Exception {
        ProxyConfig c = load("""
                usage: {store: none, retention: 30d}
                pricing:
                  "gpt-4o*": {input: 2.5, output: "10", cache_read: 1.25}
                """);
        assertThat(c.usage().store()).isEqualTo("none");
        assertThat(c.usage().retention()).isEqualTo(Duration.ofDays(30));
        assertThat(c.usage().pricing()).containsEntry("gpt-4o*", new UsageSettings.Price(2.5, 10, 1.25, 0));
    }

    @Test
    void mistakesNameTheKey() {
        assertThatThrownBy(() -> load("usage: {stor: none}\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("usage.stor: unknown key");
        assertThatThrownBy(() -> load("usage: {retention: 2h}\n"))
                .hasMessageContaining("usage.retention: must be at least 1d");
        assertThatThrownBy(() -> load("pricing: {m: {input: -1}}\n"))
                .hasMessageContaining("pricing.m.input: '-1' is not a price");
        assertThatThrownBy(() -> load("pricing: {m: {inputs: 1}}\n"))
                .hasMessageContaining("pricing.m.inputs: unknown key");
        assertThatThrownBy(() -> load("pricing: {m: 3}\n")).hasMessageContaining("pricing.m: must be a mapping");
    }
}
