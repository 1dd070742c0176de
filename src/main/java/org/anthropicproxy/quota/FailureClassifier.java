package org.anthropicproxy.quota;

import org.anthropicproxy.config.Durations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.anthropicproxy.quota.Classification.AuthFailed;
import org.anthropicproxy.quota.Classification.ClientError;
import org.anthropicproxy.quota.Classification.QuotaExhausted;
import org.anthropicproxy.quota.Classification.RateLimited;
import org.anthropicproxy.quota.Classification.Unavailable;

/**
 * Decides what an upstream failure means for the failover chain. Never throws, whatever the input.
 *
 * <p>Order of decision: 401 → auth; a quota marker (any status but 401) → quota exhausted; 402 → quota exhausted
 * (billing); 403 → auth; 429 → rate limited, or quota exhausted when the named wait exceeds
 * {@code maxRateLimitCooldown} or {@code x-should-retry: false} is sent; 408, 5xx, 529 → unavailable; other 4xx →
 * client error. When the status is not an error status (an SSE {@code error} event after a 200), Anthropic's
 * {@code error.type} stands in for it.
 *
 * <p>Reset times are taken from {@code retry-after-ms}, {@code retry-after} (seconds or HTTP date),
 * {@code anthropic-ratelimit-*-reset} (RFC 3339 or unix), {@code x-ratelimit-reset-*} (durations), and from the body:
 * date-times ("reset at 2026-09-24 05:17:08 UTC+8"; no zone means the clock's zone), unix times in reset fields or
 * after {@code |} ("usage limit reached|1760000000"), and "try again in 1m30s". Only future times count.
 */
public final class FailureClassifier {
    private static final int MAX_BODY_CHARS = 64 * 1024;
    private static final int MAX_STRINGS = 256;
    private static final int MAX_DEPTH = 12;
    private static final int MAX_REASON = 300;
    private static final Duration MIN_WAIT = Duration.ofSeconds(1);

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /** Temporary-limit words, including the seed's rate-limit markers. Only consulted when the status says nothing. */
    private static final List<String> RATE_MARKERS = List.of("rate limit", "rate_limit", "ratelimit",
            "too many requests", "request limit", "frequency limit", "频率限制", "请求过于频繁");

    private static final Pattern DATE_TIME = Pattern.compile(
            "(\\d{4}-\\d{2}-\\d{2})[T ](\\d{1,2}:\\d{2}(?::\\d{2})?(?:\\.\\d{1,9})?)"
                    + "(\\s*(?:Z|(?:UTC|GMT)\\s*[+-]\\s*\\d{1,2}(?::?\\d{2})?|UTC|GMT|[+-]\\d{2}:?\\d{2}))?",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern UNIX_AFTER_PIPE = Pattern.compile("limit reached\\|(\\d{10,13})", Pattern.CASE_INSENSITIVE);
    private static final Pattern UNIX_RESET = Pattern.compile("resets?(?:_at|At| at| on)?\\W{0,3}(\\d{10,13})\\b");
    private static final Pattern TRY_AGAIN_COMPACT = Pattern.compile(
            "(?:try again|retry|resets?|available)\\s+(?:in|after)\\s+((?:\\d+(?:\\.\\d+)?(?:ms|h|m|s))+)\\b",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern TRY_AGAIN_WORDS = Pattern.compile(
            "(?:try again|retry|resets?|available)\\s+(?:in|after)\\s+(\\d+(?:\\.\\d+)?)\\s*"
                    + "(milliseconds?|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?)\\b",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern HTML_TITLE = Pattern.compile("<title>(.*?)</title>", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern TAGS = Pattern.compile("<[^>]{0,500}>");
    private static final Pattern SPACES = Pattern.compile("\\s+");

    private final ClassifierSettings settings;
    private final Clock clock;
    private final List<String> textMarkers;
    private final Set<String> codeMarkers;

    public FailureClassifier(ClassifierSettings settings, Clock clock) {
        this.settings = settings == null ? ClassifierSettings.defaults() : settings;
        this.clock = clock == null ? Clock.systemDefaultZone() : clock;
        List<String> text = new ArrayList<>();
        Set<String> codes = new LinkedHashSet<>();
        for (String m : this.settings.quotaMarkers()) {
            if (m == null || m.isBlank()) continue;
            String lower = m.strip().toLowerCase(Locale.ROOT);
            if (lower.startsWith("code:")) codes.add(lower.substring(5).strip());
            else text.add(lower);
        }
        this.textMarkers = List.copyOf(text);
        this.codeMarkers = Set.copyOf(codes);
    }

    /** Upstream unreachable or timed out before any byte: unavailable for the default cooldown. */
    public Classification connectFailure(String message) {
        String m = message == null || message.isBlank() ? "no detail" : truncate(collapse(message));
        return new Unavailable(settings.defaultCooldown(), "upstream unreachable: " + m);
    }

    public Classification classify(UpstreamFailure f) {
        int status = f == null ? 0 : f.status();
        try {
            return classifyUnchecked(f == null ? new UpstreamFailure(0, Map.of(), "") : f);
        } catch (RuntimeException | StackOverflowError e) {
            // A bug or a pathological body must not break failover: fall back to the status alone.
            return byStatusOnly(status, "HTTP " + status + " (unclassifiable body: " + e.getClass().getSimpleName() + ")");
        }
    }

    private Classification classifyUnchecked(UpstreamFailure f) {
        Instant now = clock.instant();
        Body body = Body.read(f.body());
        Headers headers = new Headers(f.headers());
        int status = effectiveStatus(f.status(), body);
        String reason = reason(f.status(), body);

        if (status == 401) return new AuthFailed(reason);

        Optional<Duration> retryAfter = headers.retryAfter(now);
        List<Instant> relative = body.relativeWaits().stream().map(now::plus).toList();
        List<Instant> bodyTimes = body.resetTimes(clock.getZone());
        List<Instant> headerTimes = headers.resetTimes(now);
        Optional<Instant> namedReset = earliestFuture(now, bodyTimes, headerTimes, relative);

        if (hasQuotaMarker(body)) {
            // For a hard quota only a time that speaks about the quota counts: the body's, else the latest rate-limit
            // header reset (the per-minute ones end first), else a retry-after too long to be a mere rate limit. A short
            // retry-after from a gateway would otherwise bring an exhausted provider back every minute.
            Optional<Instant> resetAt = earliestFuture(now, bodyTimes, relative)
                    .or(() -> latestFuture(now, headerTimes))
                    .or(() -> retryAfter.filter(d -> d.compareTo(settings.maxRateLimitCooldown()) > 0).map(now::plus));
            return new QuotaExhausted(resetAt, "quota exhausted: " + reason);
        }
        if (status == 402) return new QuotaExhausted(namedReset, "billing: " + reason);
        if (status == 403) return new AuthFailed(reason);
        if (status == 429) {
            if (headers.shouldNotRetry()) return new QuotaExhausted(namedReset, "quota exhausted (no retry): " + reason);
            Duration wait = retryAfter.or(() -> namedReset.map(r -> Duration.between(now, r)))
                    .orElse(settings.defaultCooldown());
            if (wait.compareTo(settings.maxRateLimitCooldown()) > 0) {
                return new QuotaExhausted(Optional.of(namedReset.orElse(now.plus(wait))),
                        "rate limited for " + Durations.dayHourMinute(wait) + ": " + reason);
            }
            return new RateLimited(atLeastMin(wait), reason);
        }
        if (status == 408 || status >= 500 && status < 600) {
            Duration cooldown = retryAfter.map(this::clampCooldown).orElse(settings.defaultCooldown());
            return new Unavailable(cooldown, reason);
        }
        if (status >= 400 && status < 500) return new ClientError(reason);
        return new Unavailable(settings.defaultCooldown(), reason);
    }

    private Classification byStatusOnly(int status, String reason) {
        if (status == 401 || status == 403) return new AuthFailed(reason);
        if (status == 402) return new QuotaExhausted(Optional.empty(), reason);
        if (status == 429) return new RateLimited(settings.defaultCooldown(), reason);
        if (status >= 400 && status < 500 && status != 408) return new ClientError(reason);
        return new Unavailable(settings.defaultCooldown(), reason);
    }

    private int effectiveStatus(int status, Body body) {
        if (status >= 400 && status < 600) return status;
        String type = body.errorType == null ? "" : body.errorType;
        return switch (type) {
            case "rate_limit_error", "rate_limit_exceeded" -> 429;
            case "overloaded_error" -> 529;
            case "api_error", "server_error" -> 500;
            case "timeout_error" -> 504;
            case "authentication_error" -> 401;
            case "permission_error" -> 403;
            case "billing_error" -> 402;
            case "not_found_error" -> 404;
            case "request_too_large" -> 413;
            case "invalid_request_error" -> 400;
            default -> containsAny(body.haystack, RATE_MARKERS) ? 429 : 0;
        };
    }

    private boolean hasQuotaMarker(Body body) {
        for (String code : body.codes) if (codeMarkers.contains(code)) return true;
        return containsAny(body.haystack, textMarkers);
    }

    private static boolean containsAny(String haystack, List<String> needles) {
        for (String n : needles) if (haystack.contains(n)) return true;
        return false;
    }

    private Duration clampCooldown(Duration d) {
        return atLeastMin(d.compareTo(settings.maxRateLimitCooldown()) > 0 ? settings.maxRateLimitCooldown() : d);
    }

    private static Duration atLeastMin(Duration d) {
        return d.compareTo(MIN_WAIT) < 0 ? MIN_WAIT : d;
    }

    @SafeVarargs
    private static Optional<Instant> earliestFuture(Instant now, List<Instant>... lists) {
        Instant best = null;
        Instant latest = now.plus(Durations.MAX_PLAUSIBLE);
        for (List<Instant> list : lists) {
            for (Instant i : list) {
                if (!i.isAfter(now)) continue;
                if (i.isAfter(latest)) i = latest;
                if (best == null || i.isBefore(best)) best = i;
            }
        }
        return Optional.ofNullable(best);
    }

    private static Optional<Instant> latestFuture(Instant now, List<Instant> times) {
        Instant latest = now.plus(Durations.MAX_PLAUSIBLE);
        return times.stream().filter(i -> i.isAfter(now)).map(i -> i.isAfter(latest) ? latest : i).max(Instant::compareTo);
    }

    private static String reason(int status, Body body) {
        StringBuilder sb = new StringBuilder("HTTP ").append(status);
        if (body.errorType != null) sb.append(' ').append(body.errorType);
        if (body.code != null && !body.code.equals(body.errorType)) sb.append(" (code ").append(body.code).append(')');
        String message = body.message != null ? body.message : body.fallbackText();
        if (!message.isEmpty()) sb.append(": ").append(message);
        return truncate(collapse(sb.toString()));
    }

    private static String collapse(String s) {
        return SPACES.matcher(s).replaceAll(" ").strip();
    }

    private static String truncate(String s) {
        return s.length() <= MAX_REASON ? s : s.substring(0, MAX_REASON) + "…";
    }

    /** What we could read out of the body. */
    private static final class Body {
        final String raw;
        final String haystack;          // raw + decoded JSON strings, lower case
        final List<String> strings = new ArrayList<>();
        final Set<String> codes = new LinkedHashSet<>();
        final List<Instant> resetInstants = new ArrayList<>();
        String errorType;
        String code;
        String message;

        private Body(String raw) {
            this.raw = raw;
            JsonNode root = parseJson(raw);
            if (root != null && root.isObject()) {
                JsonNode error = root.path("error");
                JsonNode err = error.isObject() ? error : root;
                errorType = text(err.get("type"));
                if ("error".equals(errorType)) errorType = null;
                message = firstText(err.get("message"), err.path("data").get("msg"), err.get("msg"),
                        root.get("msg"), root.get("message"), root.get("detail"), error.isTextual() ? error : null);
                code = firstText(err.path("data").get("code"), err.get("code"), root.get("code"),
                        err.path("details").get("error_code"));
                walk(root, 0);
            } else if (root != null) {
                walk(root, 0);
            }
            StringBuilder sb = new StringBuilder(raw.length() + 64).append(raw);
            for (String s : strings) sb.append('\n').append(s);
            haystack = sb.toString().toLowerCase(Locale.ROOT);
        }

        static Body read(String body) {
            String raw = body == null ? "" : body;
            if (raw.length() > MAX_BODY_CHARS) raw = raw.substring(0, MAX_BODY_CHARS);
            return new Body(raw);
        }

        private static JsonNode parseJson(String raw) {
            String t = raw.strip();
            if (t.isEmpty()) return null;
            JsonNode n = tryParse(t);
            if (n != null) return n;
            // SSE framing ("event: error\ndata: {...}") or a prefix ("CodeBuddy API error: 429 - {...}")
            for (String line : t.split("\n", 50)) {
                String l = line.strip();
                if (l.startsWith("data:")) {
                    n = tryParse(l.substring(5).strip());
                    if (n != null) return n;
                }
            }
            int open = t.indexOf('{');
            int close = t.lastIndexOf('}');
            if (open >= 0 && close > open) return tryParse(t.substring(open, close + 1));
            return null;
        }

        private static JsonNode tryParse(String s) {
            if (s.isEmpty() || (s.charAt(0) != '{' && s.charAt(0) != '[')) return null;
            try {
                return JSON.readTree(s);
            } catch (Exception | StackOverflowError e) {
                return null;
            }
        }

        private void walk(JsonNode node, int depth) {
            if (depth > MAX_DEPTH || strings.size() >= MAX_STRINGS) return;
            if (node.isObject()) {
                for (Map.Entry<String, JsonNode> e : node.properties()) {
                    if (strings.size() >= MAX_STRINGS) break;
                    String key = e.getKey().toLowerCase(Locale.ROOT);
                    JsonNode v = e.getValue();
                    if ((key.equals("code") || key.equals("error_code") || key.equals("errorcode") || key.equals("type"))
                            && v.isValueNode()) {
                        codes.add(v.asText().toLowerCase(Locale.ROOT));
                    }
                    if (key.contains("reset") || key.equals("retry_at")) {
                        if (v.isNumber() && v.canConvertToLong()) resetInstants.add(Timestamps.epoch(v.asLong()));
                        else if (v.isTextual() && v.asText().matches("\\d{10,13}")) {
                            resetInstants.add(Timestamps.epoch(Long.parseLong(v.asText())));
                        }
                    }
                    walk(v, depth + 1);
                }
            } else if (node.isArray()) {
                for (JsonNode v : node) {
                    if (strings.size() >= MAX_STRINGS) break;
                    walk(v, depth + 1);
                }
            } else if (node.isTextual()) {
                strings.add(node.asText());
            }
        }

        List<Instant> resetTimes(ZoneId zone) {
            List<Instant> out = new ArrayList<>(resetInstants);
            List<String> texts = new ArrayList<>(strings.size() + 1);
            texts.add(raw);
            texts.addAll(strings);
            for (String t : texts) {
                Matcher m = DATE_TIME.matcher(t);
                while (m.find()) {
                    Instant i = dateTime(m.group(1), m.group(2), m.group(3), zone);
                    if (i != null) out.add(i);
                }
                Matcher p = UNIX_AFTER_PIPE.matcher(t);
                while (p.find()) out.add(Timestamps.epoch(Long.parseLong(p.group(1))));
                Matcher u = UNIX_RESET.matcher(t);
                while (u.find()) out.add(Timestamps.epoch(Long.parseLong(u.group(1))));
            }
            return out;
        }

        /** Durations like "try again in 1m30s" become instants later; kept separate because they are relative. */
        List<Duration> relativeWaits() {
            List<Duration> out = new ArrayList<>();
            List<String> texts = new ArrayList<>(strings.size() + 1);
            texts.add(raw);
            texts.addAll(strings);
            for (String t : texts) {
                Matcher c = TRY_AGAIN_COMPACT.matcher(t);
                while (c.find()) {
                    Duration d = Durations.parseOrNull(c.group(1));
                    if (d != null) out.add(d);
                }
                Matcher w = TRY_AGAIN_WORDS.matcher(t);
                while (w.find()) {
                    String unit = w.group(2).toLowerCase(Locale.ROOT);
                    String u = unit.startsWith("milli") ? "ms" : unit.substring(0, 1);
                    try {
                        out.add(Durations.fromUnits(Double.parseDouble(w.group(1)), u));
                    } catch (IllegalArgumentException ignored) {
                        // not a usable number
                    }
                }
            }
            return out;
        }

        private static Instant dateTime(String date, String time, String zoneText, ZoneId defaultZone) {
            try {
                LocalDate d = LocalDate.parse(date);
                String t = time.length() == 4 || time.indexOf(':') == 1 ? "0" + time : time;
                LocalTime lt = LocalTime.parse(t, DateTimeFormatter.ISO_LOCAL_TIME);
                ZoneId zone = zone(zoneText, defaultZone);
                return ZonedDateTime.of(d, lt, zone).toInstant();
            } catch (RuntimeException e) {
                return null;
            }
        }

        private static ZoneId zone(String text, ZoneId defaultZone) {
            if (text == null || text.isBlank()) return defaultZone;
            String z = text.strip().toUpperCase(Locale.ROOT).replace(" ", "");
            if (z.equals("Z") || z.equals("UTC") || z.equals("GMT")) return ZoneOffset.UTC;
            if (z.startsWith("UTC") || z.startsWith("GMT")) z = z.substring(3);
            char sign = z.charAt(0);
            String digits = z.substring(1).replace(":", "");
            int hours;
            int minutes = 0;
            if (digits.length() <= 2) hours = Integer.parseInt(digits);
            else {
                hours = Integer.parseInt(digits.substring(0, digits.length() - 2));
                minutes = Integer.parseInt(digits.substring(digits.length() - 2));
            }
            int total = (hours * 3600 + minutes * 60) * (sign == '-' ? -1 : 1);
            return ZoneOffset.ofTotalSeconds(total);
        }

        String fallbackText() {
            Matcher title = HTML_TITLE.matcher(raw);
            if (title.find()) return title.group(1);
            String noTags = TAGS.matcher(raw.length() > 2000 ? raw.substring(0, 2000) : raw).replaceAll(" ");
            return noTags;
        }

        private static String text(JsonNode n) {
            return n != null && n.isValueNode() && !n.isNull() ? n.asText() : null;
        }

        private static String firstText(JsonNode... nodes) {
            for (JsonNode n : nodes) {
                String t = text(n);
                if (t != null && !t.isBlank()) return t;
            }
            return null;
        }
    }

    /** The headers that carry retry and reset hints. */
    private static final class Headers {
        private final Map<String, List<String>> headers;

        Headers(Map<String, List<String>> raw) {
            this.headers = new java.util.HashMap<>();
            for (Map.Entry<String, List<String>> e : raw.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) continue;
                headers.merge(e.getKey().toLowerCase(Locale.ROOT), e.getValue(), (a, b) -> {
                    List<String> all = new ArrayList<>(a);
                    all.addAll(b);
                    return all;
                });
            }
        }

        String first(String name) {
            List<String> values = headers.get(name);
            if (values == null) return null;
            for (String v : values) if (v != null && !v.isBlank()) return v.strip();
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
            if (ra == null) return Optional.empty();
            try {
                return Optional.of(Durations.fromUnits(Double.parseDouble(ra), "s"));
            } catch (IllegalArgumentException ignored) {
                // HTTP date
            }
            try {
                Instant at = ZonedDateTime.parse(ra, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
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
                if (!anthropic && !openai) continue;
                for (String v : e.getValue()) {
                    if (v == null || v.isBlank()) continue;
                    String s = v.strip();
                    Instant i = Timestamps.parse(s, ZoneOffset.UTC);
                    if (i == null) {
                        Duration d = Durations.parseOrNull(s);
                        if (d != null) i = now.plus(d);
                    }
                    if (i != null) out.add(i);
                }
            }
            return out;
        }
    }
}
