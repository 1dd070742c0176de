package org.anthropicproxy.quota;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.anthropicproxy.config.Durations;

/**
 * What counts as hard quota exhaustion, and how long to cool down otherwise.
 *
 * <p>A marker is either a case-insensitive substring of the error body (matched on the raw text and on the JSON-decoded
 * strings, so escaped (backslash-u) Chinese is found too), or {@code code:<value>}, which matches a structured code field
 * ({@code code}, {@code error_code}, {@code type} anywhere in the JSON, e.g. CodeBuddy's {@code error.data.code} 14018).
 * Bare numbers are not matched as substrings because request ids contain digits.
 *
 * <p>The Python anthropic_server.py's generic rate-limit words ({@code rate limit}, {@code too many requests}, {@code request limit}) are not
 * quota markers here: the Python anthropic_server.py treated every 429 as a weekly exhaustion, which parks a provider for days after a
 * one-minute rate limit. They are recognised by {@link FailureClassifier} as temporary limits instead.
 *
 * @param quotaMarkers          markers of hard quota exhaustion
 * @param defaultCooldown       cooldown for rate limits and outages that name no time (e.g. 30 s)
 * @param maxRateLimitCooldown  a wait longer than this (retry-after, a reset time in the message) counts as quota
 *                              exhausted until that time (e.g. 1 h)
 */
public record ClassifierSettings(List<String> quotaMarkers, Duration defaultCooldown, Duration maxRateLimitCooldown) {

    /** The Python anthropic_server.py's markers (its {@code quota_manager.py}), CodeBuddy's credit markers, OpenAI/Anthropic/DeepSeek wording. */
    public static final List<String> DEFAULT_MARKERS = List.of(
            // anthropic_server.py, English (hard ones; see class doc for the rate-limit words)
            "quota exceeded",
            "quota_exceeded",
            "usage limit",
            "daily limit",
            "monthly limit",
            "weekly limit",
            // anthropic_server.py, Chinese
            "额度已用尽",
            "额度用尽",
            "本周额度",
            "本日额度",
            "本月额度",
            "额度不足",
            "额度耗尽",
            "临时提额",
            "使用详情",
            // CodeBuddy credits: plural and singular wordings, code 14018 in error.data.code
            "code:14018",
            "credits exhausted",
            "credit exhausted",
            "insufficient credits",
            "insufficient credit",
            "out of credits",
            "not enough credits",
            "credits not enough",
            "credit not enough",
            "积分不足",
            "余额不足",
            // OpenAI, Anthropic out of credits (a 400 invalid_request_error) and spend limit, DeepSeek, generic
            "code:insufficient_quota",
            "exceeded your current quota",
            "credit balance is too low",
            "code:enforced_spend_limit_reached",
            "spend limit",
            "insufficient balance",
            "quota exhausted",
            "quota has been exhausted",
            "5-hour limit");

    public ClassifierSettings {
        quotaMarkers = List.copyOf(quotaMarkers == null ? List.of() : quotaMarkers);
        if (defaultCooldown == null || defaultCooldown.isNegative() || defaultCooldown.isZero()) {
            throw new IllegalArgumentException("cooldown must be positive, got " + defaultCooldown);
        }
        if (maxRateLimitCooldown == null || maxRateLimitCooldown.isNegative() || maxRateLimitCooldown.isZero()) {
            throw new IllegalArgumentException("max_rate_limit_cooldown must be positive, got " + maxRateLimitCooldown);
        }
    }

    public static ClassifierSettings defaults() {
        return new ClassifierSettings(DEFAULT_MARKERS, Duration.ofSeconds(30), Duration.ofHours(1));
    }

    /**
     * From a provider's YAML block. Keys: {@code quota_markers} (list of strings, added to the defaults),
     * {@code cooldown}, {@code max_rate_limit_cooldown} (durations like {@code 30s}, {@code 1h}, {@code PT1H} or seconds).
     *
     * @param where names the config location in error messages, e.g. {@code providers.native.quota}
     * @throws IllegalArgumentException naming the key and {@code where} for an unknown key or a bad value
     */
    public static ClassifierSettings fromMap(Map<String, Object> yaml, String where) {
        ClassifierSettings d = defaults();
        if (yaml == null) return d;
        Set<String> markers = new LinkedHashSet<>(d.quotaMarkers());
        Duration cooldown = d.defaultCooldown();
        Duration max = d.maxRateLimitCooldown();
        for (Map.Entry<String, Object> e : yaml.entrySet()) {
            String key = e.getKey();
            Object value = e.getValue();
            switch (key) {
                case "quota_markers" -> markers.addAll(markerList(value, where));
                case "cooldown" -> cooldown = duration(value, where, key);
                case "max_rate_limit_cooldown" -> max = duration(value, where, key);
                default ->
                    throw new IllegalArgumentException(where + ": unknown key '" + key
                            + "' (known: quota_markers, cooldown, max_rate_limit_cooldown)");
            }
        }
        try {
            return new ClassifierSettings(new ArrayList<>(markers), cooldown, max);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static List<String> markerList(Object value, String where) {
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException(
                    where + ".quota_markers: expected a list of strings, got " + describe(value));
        }
        List<String> out = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof String s) || s.isBlank()) {
                throw new IllegalArgumentException(
                        where + ".quota_markers: expected non-empty strings, got " + describe(item));
            }
            out.add(s);
        }
        return out;
    }

    private static Duration duration(Object value, String where, String key) {
        if (value instanceof Number n) return Durations.clamp(Duration.ofMillis((long) (n.doubleValue() * 1000)));
        if (value instanceof String s) {
            try {
                return Durations.parse(s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + "." + key + ": " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException(
                where + "." + key + ": expected a duration like 30s or 1h, got " + describe(value));
    }

    private static String describe(Object v) {
        return v == null ? "null" : v.getClass().getSimpleName() + " '" + v + "'";
    }
}
