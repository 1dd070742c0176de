package org.anthropicproxy.bench;

import java.util.Arrays;

/** Percentiles over recorded nanosecond samples. */
final class Stats {

    private final long[] sorted;

    Stats(long[] samples, int n) {
        sorted = Arrays.copyOf(samples, n);
        Arrays.sort(sorted);
    }

    int count() {
        return sorted.length;
    }

    /** Nearest-rank percentile in ms; NaN without samples. */
    double ms(double pct) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(pct / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
}
