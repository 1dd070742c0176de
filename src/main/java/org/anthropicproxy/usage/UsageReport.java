package org.anthropicproxy.usage;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The body of {@code GET /v1/usage} and of {@code usage --json}:
 * {@code {"from","to","group_by","rows":[{"key",…}],"total":{…}}}, every row and the total carrying requests, the
 * four token counts and {@code cost_usd}. Cost is priced per upstream model and summed; a row whose tokens are all of
 * unpriced models has {@code cost_usd: null}, and a row with some has {@code cost_complete: false}.
 */
public final class UsageReport {

    /** What rows are keyed by. */
    @SuppressWarnings("ImmutableEnumChecker") // the key functions are stateless method references
    public enum GroupBy {
        DAY(r -> r.day().toString(), true),
        WEEK(
                r -> r.day()
                        .with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY))
                        .toString(),
                true),
        MONTH(r -> r.day().toString().substring(0, 7), true),
        MODEL(DailyRow::model, false),
        PROVIDER(DailyRow::provider, false),
        KEY(DailyRow::keyId, false);

        final Function<DailyRow, String> key;
        final boolean time;

        GroupBy(Function<DailyRow, String> key, boolean time) {
            this.key = key;
            this.time = time;
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Null when the text names no grouping. */
        public static GroupBy parse(String s) {
            for (GroupBy g : values()) {
                if (g.label().equals(s)) {
                    return g;
                }
            }
            return null;
        }
    }

    private UsageReport() {}

    public static ObjectNode build(
            List<DailyRow> rows, LocalDate from, LocalDate to, GroupBy groupBy, Pricing pricing) {
        Map<String, Group> groups = new TreeMap<>();
        Group total = new Group();
        for (DailyRow r : rows) {
            groups.computeIfAbsent(groupBy.key.apply(r), k -> new Group()).add(r, pricing);
            total.add(r, pricing);
        }
        List<Map.Entry<String, Group>> ordered = new ArrayList<>(groups.entrySet());
        if (!groupBy.time) {
            // the biggest first, as ccusage orders models
            ordered.sort(Comparator.comparingLong(
                            (Map.Entry<String, Group> e) -> -e.getValue().totals.tokens())
                    .thenComparing(Map.Entry::getKey));
        }
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("from", from.toString());
        root.put("to", to.toString());
        root.put("group_by", groupBy.label());
        ArrayNode out = root.putArray("rows");
        for (Map.Entry<String, Group> e : ordered) {
            ObjectNode row = out.addObject();
            row.put("key", e.getKey());
            e.getValue().write(row, groupBy.time);
        }
        total.write(root.putObject("total"), false);
        return root;
    }

    /** Sums of one row, with its cost and, for time rows, tokens by model (the page's stacked chart). */
    private static final class Group {
        Totals totals = Totals.ZERO;
        BigDecimal cost;
        boolean unpricedRows;
        boolean unpricedTokens;
        final Map<String, Long> tokensByModel = new LinkedHashMap<>();

        void add(DailyRow r, Pricing pricing) {
            totals = totals.plus(r.totals());
            BigDecimal c = pricing.cost(r.model(), r.totals());
            if (c != null) {
                cost = cost == null ? c : cost.add(c);
            } else {
                unpricedRows = true;
                unpricedTokens |= r.totals().tokens() > 0;
            }
            tokensByModel.merge(r.model(), r.totals().tokens(), Long::sum);
        }

        void write(ObjectNode n, boolean byModel) {
            n.put("requests", totals.requests());
            n.put("input_tokens", totals.inputTokens());
            n.put("output_tokens", totals.outputTokens());
            n.put("cache_read_input_tokens", totals.cacheReadTokens());
            n.put("cache_creation_input_tokens", totals.cacheWriteTokens());
            n.put("total_tokens", totals.tokens());
            if (cost == null && unpricedRows) {
                n.putNull("cost_usd"); // only models without a price: unknown, not free
            } else {
                BigDecimal c = cost == null ? BigDecimal.ZERO : cost.setScale(6, RoundingMode.HALF_UP);
                n.put("cost_usd", c.doubleValue());
            }
            if (unpricedTokens && cost != null) {
                n.put("cost_complete", false);
            }
            if (byModel) {
                ObjectNode m = n.putObject("tokens_by_model");
                tokensByModel.forEach(m::put);
            }
        }
    }
}
