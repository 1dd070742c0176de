package org.anthropicproxy.testkit;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counts outcomes per suite (inputs, statuses) and prints them as a table for the closing note. */
public final class OutcomeTally {

    private final String title;
    private final Map<String, Map<String, LongAdder>> rows = new ConcurrentHashMap<>();

    public OutcomeTally(String title) {
        this.title = title;
    }

    public void count(String suite, String outcome) {
        rows.computeIfAbsent(suite, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(outcome, k -> new LongAdder())
                .increment();
    }

    public long total() {
        return rows.values().stream()
                .flatMap(m -> m.values().stream())
                .mapToLong(LongAdder::sum)
                .sum();
    }

    public String table() {
        StringBuilder sb = new StringBuilder("\n== " + title + " ==\n");
        sb.append(String.format("%-34s %8s  %s%n", "suite", "inputs", "outcomes"));
        Map<String, Long> all = new TreeMap<>();
        new TreeMap<>(rows).forEach((suite, m) -> {
            Map<String, Long> sorted = new TreeMap<>();
            m.forEach((k, v) -> sorted.put(k, v.sum()));
            sorted.forEach((k, v) -> all.merge(k, v, Long::sum));
            sb.append(String.format(
                    "%-34s %8d  %s%n",
                    suite, sorted.values().stream().mapToLong(Long::longValue).sum(), sorted));
        });
        sb.append(String.format("%-34s %8d  %s%n", "TOTAL", total(), all));
        return sb.toString();
    }
}
