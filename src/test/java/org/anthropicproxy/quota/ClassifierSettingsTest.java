package org.anthropicproxy.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ClassifierSettingsTest {

    @Test
    void defaultsCarryTheSeedMarkersAndCodeBuddyCredits() {
        ClassifierSettings d = ClassifierSettings.defaults();
        assertThat(d.quotaMarkers())
                .contains(
                        "quota exceeded",
                        "weekly limit",
                        "额度已用尽",
                        "本周额度",
                        "临时提额",
                        "code:14018",
                        "credits exhausted",
                        "积分不足",
                        "余额不足");
        assertThat(d.defaultCooldown()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.maxRateLimitCooldown()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void fromMapAddsMarkersAndParsesDurations() {
        Map<String, Object> yaml = new LinkedHashMap<>();
        yaml.put("quota_markers", List.of("budget spent"));
        yaml.put("cooldown", "45s");
        yaml.put("max_rate_limit_cooldown", "PT2H");
        ClassifierSettings s = ClassifierSettings.fromMap(yaml, "providers.native.quota");
        assertThat(s.quotaMarkers()).contains("budget spent", "额度已用尽");
        assertThat(s.defaultCooldown()).isEqualTo(Duration.ofSeconds(45));
        assertThat(s.maxRateLimitCooldown()).isEqualTo(Duration.ofHours(2));
        assertThat(ClassifierSettings.fromMap(Map.of("cooldown", 10), "x").defaultCooldown())
                .isEqualTo(Duration.ofSeconds(10));
        assertThat(ClassifierSettings.fromMap(Map.of("cooldown", "1m30s"), "x").defaultCooldown())
                .isEqualTo(Duration.ofSeconds(90));
        assertThat(ClassifierSettings.fromMap(null, "x")).isEqualTo(ClassifierSettings.defaults());
    }

    @Test
    void unknownKeyIsNamed() {
        assertThatThrownBy(() ->
                        ClassifierSettings.fromMap(Map.of("quota_marker", List.of("x")), "providers.native.quota"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("quota_marker")
                .hasMessageContaining("providers.native.quota");
    }

    @Test
    void badValuesAreNamed() {
        assertThatThrownBy(() -> ClassifierSettings.fromMap(Map.of("cooldown", "soon"), "p"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("p.cooldown")
                .hasMessageContaining("soon");
        assertThatThrownBy(() -> ClassifierSettings.fromMap(Map.of("quota_markers", "weekly"), "p"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("p.quota_markers");
        assertThatThrownBy(() -> ClassifierSettings.fromMap(Map.of("max_rate_limit_cooldown", "0s"), "p"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max_rate_limit_cooldown");
    }
}
