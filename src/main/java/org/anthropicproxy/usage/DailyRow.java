package org.anthropicproxy.usage;

import java.time.LocalDate;

/** One daily aggregate: the sums of every request of that day, provider, upstream model and client key. */
public record DailyRow(LocalDate day, String provider, String model, String keyId, Totals totals) {}
