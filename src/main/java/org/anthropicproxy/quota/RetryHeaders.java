package org.anthropicproxy.quota;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.anthropicproxy.config.Durations;

/**
 * The headers of an upstream answer that carry retry and reset hints: {@code retry-after-ms}, {@code retry-after}
 * (seconds or an HTTP date), {@code x-should-retry}, {@code anthropic-ratelimit-*-reset} and
 * {@code x-ratelimit-reset-*}. Names are matched case-insensitively, as HTTP requires.
 */
final class RetryHeaders {
    private final Map<String, List<String>> headers;

    RetryHeaders(Map<String, List<String>> raw) {
        this.headers = new HashMap<>();
        for (Map.Entry<String, List<String>> e : raw.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                continue;
            }
            headers.merge(e.getKey().toLowerCase(Locale.ROOT), e.getValue(), (a, b) -> {
                List<String> all = new ArrayList<>(a);
                all.addAll(b);
                return all;
            });
        }
    }

    String first(String name) {
        List<String> values = headers.get(name);
        if (values == null) {
            return null;
        }
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.strip();
            }
        }
        return null;
    }

    Optional<Duration> retryAfter(Instant now) {
        String ms = first("retry-after-ms");
        if (ms != null) {
            try {
                return Optional.of(Durations.fromUnits(Double.parseDouble(ms), "ms"));
            } catch (IllegalArgumentException ignored) {
                // try retry-after
            }
        }
        String ra = first("retry-after");
        if (ra == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Durations.fromUnits(Double.parseDouble(ra), "s"));
        } catch (IllegalArgumentException ignored) {
            // HTTP date
        }
        try {
            Instant at = ZonedDateTime.parse(ra, DateTimeFormatter.RFC_1123_DATE_TIME)
                    .toInstant();
            return Optional.of(Durations.clamp(Duration.between(now, at)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    boolean shouldNotRetry() {
        return "false".equalsIgnoreCase(first("x-should-retry"));
    }

    List<Instant> resetTimes(Instant now) {
        List<Instant> out = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            String name = e.getKey();
            boolean anthropic = name.startsWith("anthropic-ratelimit-") && name.endsWith("-reset");
            boolean openai = name.startsWith("x-ratelimit-reset");
            if (!anthropic && !openai) {
                continue;
            }
            for (String v : e.getValue()) {
                if (v == null || v.isBlank()) {
                    continue;
                }
                String s = v.strip();
                Instant i = Timestamps.parse(s, ZoneOffset.UTC);
                if (i == null) {
                    Duration d = Durations.parseOrNull(s);
                    if (d != null) {
                        i = now.plus(d);
                    }
                }
                if (i != null) {
                    out.add(i);
                }
            }
        }
        return out;
    }
}
