package org.anthropicproxy.usage;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.anthropicproxy.config.UsageSettings.Price;

/**
 * USD per million tokens by upstream model: the {@code pricing:} entries first (an exact name, or a glob with
 * {@code *}), then Anthropic's published prices for the Claude families, matched by family and version in any of the
 * usual spellings ({@code claude-sonnet-4-5-20250929}, {@code claude-3-5-haiku-latest}, {@code claude-4.5-opus}).
 * Cache writes are priced as 5-minute writes (1.25 × input), cache reads at 0.1 × input. A model matching neither
 * has no price: its cost is null ("n/a"), never 0 (PricingTest).
 */
public final class Pricing {

    static final Price OPUS_4_5 = new Price(5, 25, 0.50, 6.25);
    static final Price OPUS = new Price(15, 75, 1.50, 18.75);
    static final Price SONNET = new Price(3, 15, 0.30, 3.75);
    static final Price HAIKU_4_5 = new Price(1, 5, 0.10, 1.25);
    static final Price HAIKU_3_5 = new Price(0.80, 4, 0.08, 1);
    static final Price HAIKU_3 = new Price(0.25, 1.25, 0.03, 0.30);
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    private record Rule(Pattern pattern, Price price) {}

    private final List<Rule> configured = new ArrayList<>();

    public Pricing(Map<String, Price> configured) {
        configured.forEach((model, price) -> this.configured.add(new Rule(glob(model), price)));
    }

    public static Pricing defaults() {
        return new Pricing(Map.of());
    }

    /** The price of a model, or null when neither the config nor the Claude families know it. */
    public Price priceOf(String model) {
        if (model == null) {
            return null;
        }
        for (Rule r : configured) {
            if (r.pattern.matcher(model).matches()) {
                return r.price;
            }
        }
        return family(model);
    }

    /** USD for these totals of one model, or null when the model has no price. */
    public BigDecimal cost(String model, Totals t) {
        Price p = priceOf(model);
        if (p == null) {
            return null;
        }
        return BigDecimal.valueOf(t.inputTokens())
                .multiply(BigDecimal.valueOf(p.input()))
                .add(BigDecimal.valueOf(t.outputTokens()).multiply(BigDecimal.valueOf(p.output())))
                .add(BigDecimal.valueOf(t.cacheReadTokens()).multiply(BigDecimal.valueOf(p.cacheRead())))
                .add(BigDecimal.valueOf(t.cacheWriteTokens()).multiply(BigDecimal.valueOf(p.cacheWrite())))
                .divide(MILLION);
    }

    static Price family(String model) {
        String m = model.toLowerCase(Locale.ROOT).replace('.', '-').replace('_', '-');
        if (!m.contains("claude")) {
            return null;
        }
        m = m.replaceAll("-\\d{8}$", "").replaceAll("-latest$", "").replaceAll("\\[1m]$", "");
        int major = -1;
        int minor = 0;
        String family = null;
        for (String part : m.split("[-/:@]", -1)) {
            if (part.equals("opus") || part.equals("sonnet") || part.equals("haiku")) {
                family = part;
            } else if (part.matches("\\d{1,2}")) {
                if (major < 0) {
                    major = Integer.parseInt(part);
                } else {
                    minor = Integer.parseInt(part);
                }
            }
        }
        if (family == null) {
            return null;
        }
        int version = major < 0 ? Integer.MAX_VALUE : major * 10 + minor;
        return switch (family) {
            case "opus" -> version >= 45 ? OPUS_4_5 : OPUS;
            case "sonnet" -> SONNET;
            default -> version >= 45 ? HAIKU_4_5 : version >= 35 ? HAIKU_3_5 : HAIKU_3;
        };
    }

    private static Pattern glob(String model) {
        StringBuilder re = new StringBuilder();
        for (String part : model.split("\\*", -1)) {
            if (!re.isEmpty()) {
                re.append(".*");
            }
            re.append(Pattern.quote(part));
        }
        return Pattern.compile(re.toString(), Pattern.CASE_INSENSITIVE);
    }
}
