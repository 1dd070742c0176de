package org.anthropicproxy.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.Map;
import org.anthropicproxy.config.UsageSettings.Price;
import org.junit.jupiter.api.Test;

class PricingTest {

    private final Pricing defaults = Pricing.defaults();

    @Test
    void claudeFamiliesArePricedInEveryUsualSpelling() {
        assertThat(defaults.priceOf("claude-sonnet-4-5-20250929")).isEqualTo(Pricing.SONNET);
        assertThat(defaults.priceOf("claude-3-5-sonnet-latest")).isEqualTo(Pricing.SONNET);
        assertThat(defaults.priceOf("claude-4.5-sonnet")).isEqualTo(Pricing.SONNET);
        assertThat(defaults.priceOf("claude-opus-4-5")).isEqualTo(Pricing.OPUS_4_5);
        assertThat(defaults.priceOf("claude-opus-4-1-20250805")).isEqualTo(Pricing.OPUS);
        assertThat(defaults.priceOf("claude-3-opus-20240229")).isEqualTo(Pricing.OPUS);
        assertThat(defaults.priceOf("claude-haiku-4-5")).isEqualTo(Pricing.HAIKU_4_5);
        assertThat(defaults.priceOf("claude-3-5-haiku-20241022")).isEqualTo(Pricing.HAIKU_3_5);
        assertThat(defaults.priceOf("claude-3-haiku-20240307")).isEqualTo(Pricing.HAIKU_3);
    }

    @Test
    void anUnknownModelHasNoPriceAndNoCost() {
        assertThat(defaults.priceOf("gpt-4o")).isNull();
        assertThat(defaults.priceOf("deepseek-v3")).isNull();
        assertThat(defaults.priceOf("claude-instant")).isNull();
        assertThat(defaults.cost("gpt-4o", new Totals(1, 1000, 1000, 0, 0))).isNull();
    }

    @Test
    void costIsTokensTimesPricePerMillion() {
        // sonnet: 3 in, 15 out, 0.30 cache read, 3.75 cache write
        BigDecimal c = defaults.cost("claude-sonnet-4-5", new Totals(1, 1_000_000, 100_000, 2_000_000, 40_000));
        assertThat(c)
                .isEqualByComparingTo(new BigDecimal("3")
                        .add(new BigDecimal("1.5"))
                        .add(new BigDecimal("0.6"))
                        .add(new BigDecimal("0.15")));
    }

    @Test
    void configuredPricesComeFirstAndMatchGlobs() {
        Pricing p =
                new Pricing(Map.of("gpt-4o*", new Price(2.5, 10, 1.25, 0), "claude-sonnet-4-5", new Price(1, 1, 1, 1)));
        assertThat(p.priceOf("gpt-4o-mini")).isEqualTo(new Price(2.5, 10, 1.25, 0));
        assertThat(p.priceOf("GPT-4O")).isEqualTo(new Price(2.5, 10, 1.25, 0));
        assertThat(p.priceOf("claude-sonnet-4-5")).isEqualTo(new Price(1, 1, 1, 1));
        assertThat(p.priceOf("claude-sonnet-4")).isEqualTo(Pricing.SONNET);
        assertThat(p.priceOf("gpt-5")).isNull();
    }
}
