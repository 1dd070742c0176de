package org.anthropicproxy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.anthropicproxy.usage.UsageReport;

/** A usage report as a boxed table: one line per row, then the total; exact counts with thousands separators. */
final class UsageTable {

    private static final String[] HEADS = {
        "Requests", "Input", "Output", "Cache read", "Cache write", "Total tokens", "Cost (USD)"
    };

    private UsageTable() {}

    static void print(PrintWriter out, JsonNode report, UsageReport.GroupBy groupBy) {
        List<String[]> lines = new ArrayList<>();
        String first = switch (groupBy) {
            case DAY -> "Date";
            case WEEK -> "Week of";
            case MONTH -> "Month";
            case MODEL -> "Model";
            case PROVIDER -> "Provider";
            case KEY -> "Client key";
        };
        String[] head = new String[HEADS.length + 1];
        head[0] = first;
        System.arraycopy(HEADS, 0, head, 1, HEADS.length);
        for (JsonNode r : report.get("rows")) {
            lines.add(line(r.get("key").asText(), r));
        }
        String[] total = line("Total", report.get("total"));
        int[] width = new int[head.length];
        for (String[] l : concat(head, lines, total)) {
            for (int i = 0; i < l.length; i++) {
                width[i] = Math.max(width[i], l[i].length());
            }
        }
        String rule = rule(width);
        out.println(rule);
        out.println(row(head, width));
        out.println(rule);
        lines.forEach(l -> out.println(row(l, width)));
        if (!lines.isEmpty()) {
            out.println(rule);
        }
        out.println(row(total, width));
        out.println(rule);
    }

    private static List<String[]> concat(String[] head, List<String[]> lines, String[] total) {
        List<String[]> all = new ArrayList<>(lines);
        all.add(head);
        all.add(total);
        return all;
    }

    private static String[] line(String key, JsonNode r) {
        JsonNode cost = r.get("cost_usd");
        String c = cost == null || cost.isNull()
                ? "n/a"
                : money(cost.asDouble()) + (r.path("cost_complete").asBoolean(true) ? "" : "+");
        return new String[] {
            key,
            num(r, "requests"),
            num(r, "input_tokens"),
            num(r, "output_tokens"),
            num(r, "cache_read_input_tokens"),
            num(r, "cache_creation_input_tokens"),
            num(r, "total_tokens"),
            c
        };
    }

    static String money(double usd) {
        if (usd >= 1 || usd == 0) {
            return String.format(Locale.ROOT, "$%,.2f", usd);
        }
        return String.format(Locale.ROOT, usd >= 0.01 ? "$%.4f" : "$%.6f", usd);
    }

    private static String num(JsonNode r, String field) {
        return String.format(Locale.ROOT, "%,d", r.get(field).asLong());
    }

    private static String rule(int[] width) {
        StringBuilder sb = new StringBuilder("+");
        for (int w : width) {
            sb.append("-".repeat(w + 2)).append('+');
        }
        return sb.toString();
    }

    private static String row(String[] cells, int[] width) {
        StringBuilder sb = new StringBuilder("|");
        for (int i = 0; i < cells.length; i++) {
            String pad = " ".repeat(width[i] - cells[i].length());
            sb.append(' ').append(i == 0 ? cells[i] + pad : pad + cells[i]).append(" |");
        }
        return sb.toString();
    }
}
