package org.anthropicproxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.config.ConfigLoader;
import org.anthropicproxy.config.ProxyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelMapperTest {

    private static ModelMapper preset(String name) {
        ProxyConfig cfg = new ConfigLoader(Map.of()).load(null, CliOverrides.none());
        return new ModelMapper(cfg.provider(name).models());
    }

    @ParameterizedTest(name = "native: {0} -> {1}")
    @CsvSource({
        "opus, claude-4.5-opus",
        "sonnet, claude-4.5-sonnet",
        "haiku, claude-4.5-sonnet",
        "claude-opus-4-5-20251101, claude-4.5-opus",
        "claude-sonnet-4-5-20250929, claude-4.5-sonnet",
        "claude-haiku-4-5-20251001, claude-4.5-sonnet",
        "claude-3-opus-20240229, claude-4.5-opus",
        "some-other-model, some-other-model",
    })
    void nativeFollowsTheSeedTable(String requested, String upstream) {
        assertThat(preset("native").map(requested)).isEqualTo(upstream);
    }

    @ParameterizedTest(name = "codebuddy: {0} -> {1}")
    @CsvSource({
        "opus, claude-opus-4.5",
        "claude-opus-4-6, claude-opus-4.5",
        "sonnet, claude-4.5",
        "claude-sonnet-4-5-20250929, claude-4.5",
        "claude-haiku-4-5-20251001, claude-haiku-4.5",
        "gpt-5, gpt-5",
    })
    void codebuddyFollowsTheSeedTable(String requested, String upstream) {
        assertThat(preset("codebuddy").map(requested)).isEqualTo(upstream);
    }

    @Test
    void rulesApplyInOrderBeforeTheFamilyFallback() {
        Map<String, String> rules = new LinkedHashMap<>();
        rules.put("claude-3-opus-*", "legacy-opus");
        rules.put("claude-*-sonnet-*", "glob-sonnet");
        rules.put("opus", "new-opus");
        rules.put("sonnet", "plain-sonnet");
        rules.put("claude-exact", "exact-target");
        ModelMapper m = new ModelMapper(rules);
        assertThat(m.map("claude-3-opus-20240229")).isEqualTo("legacy-opus");
        assertThat(m.map("claude-opus-4-1")).isEqualTo("new-opus");
        assertThat(m.map("claude-3-5-sonnet-20241022")).isEqualTo("glob-sonnet");
        assertThat(m.map("claude-sonnet-4")).isEqualTo("plain-sonnet");
        assertThat(m.map("claude-exact")).isEqualTo("exact-target");
        assertThat(m.map("claude-exact-not")).isEqualTo("claude-exact-not");
        assertThat(m.map("haiku-ish")).isEqualTo("haiku-ish");
    }
}
