package org.anthropicproxy.quota;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.anthropicproxy.config.Durations;

/**
 * What {@link FailureClassifier} reads out of an upstream's error body: Anthropic's and OpenAI's error shapes, CodeBuddy's
 * {@code data.code}/{@code msg}, every JSON string for the quota markers, and reset times written in text. Bounded: at
 * most {@value #MAX_BODY_CHARS} characters, {@value #MAX_STRINGS} strings and {@value #MAX_DEPTH} levels are read, so
 * no body can make classification expensive ({@code FailureClassifierTest} feeds it pathological bodies).
 */
final class FailureBody {
    private static final int MAX_BODY_CHARS = 64 * 1024;
    private static final int MAX_STRINGS = 256;
    private static final int MAX_DEPTH = 12;
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final Pattern DATE_TIME = Pattern.compile(
            "(\\d{4}-\\d{2}-\\d{2})[T ](\\d{1,2}:\\d{2}(?::\\d{2})?(?:\\.\\d{1,9})?)"
                    + "(\\s*(?:Z|(?:UTC|GMT)\\s*[+-]\\s*\\d{1,2}(?::?\\d{2})?|UTC|GMT|[+-]\\d{2}:?\\d{2}))?",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern UNIX_AFTER_PIPE =
            Pattern.compile("limit reached\\|(\\d{10,13})", Pattern.CASE_INSENSITIVE);
    private static final Pattern UNIX_RESET = Pattern.compile("resets?(?:_at|At| at| on)?\\W{0,3}(\\d{10,13})\\b");
    private static final Pattern TRY_AGAIN_COMPACT = Pattern.compile(
            "(?:try again|retry|resets?|available)\\s+(?:in|after)\\s+((?:\\d+(?:\\.\\d+)?(?:ms|h|m|s))+)\\b",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern TRY_AGAIN_WORDS = Pattern.compile(
            "(?:try again|retry|resets?|available)\\s+(?:in|after)\\s+(\\d+(?:\\.\\d+)?)\\s*"
                    + "(milliseconds?|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?)\\b",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern HTML_TITLE =
            Pattern.compile("<title>(.*?)</title>", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern TAGS = Pattern.compile("<[^>]{0,500}>");

    final String raw;
    final String haystack; // raw + decoded JSON strings, lower case
    final List<String> strings = new ArrayList<>();
    final Set<String> codes = new LinkedHashSet<>();
    final List<Instant> resetInstants = new ArrayList<>();
    String errorType;
    String code;
    String message;

    private FailureBody(String raw) {
        this.raw = raw;
        JsonNode root = parseJson(raw);
        if (root != null && root.isObject()) {
            JsonNode error = root.path("error");
            JsonNode err = error.isObject() ? error : root;
            errorType = text(err.get("type"));
            if ("error".equals(errorType)) {
                errorType = null;
            }
            message = firstText(
                    err.get("message"),
                    err.path("data").get("msg"),
                    err.get("msg"),
                    root.get("msg"),
                    root.get("message"),
                    root.get("detail"),
                    error.isTextual() ? error : null);
            code = firstText(
                    err.path("data").get("code"),
                    err.get("code"),
                    root.get("code"),
                    err.path("details").get("error_code"));
            walk(root, 0);
        } else if (root != null) {
            walk(root, 0);
        }
        StringBuilder sb = new StringBuilder(raw.length() + 64).append(raw);
        for (String s : strings) {
            sb.append('\n').append(s);
        }
        haystack = sb.toString().toLowerCase(Locale.ROOT);
    }

    static FailureBody read(String body) {
        String raw = body == null ? "" : body;
        if (raw.length() > MAX_BODY_CHARS) {
            raw = raw.substring(0, MAX_BODY_CHARS);
        }
        return new FailureBody(raw);
    }

    private static JsonNode parseJson(String raw) {
        String t = raw.strip();
        if (t.isEmpty()) {
            return null;
        }
        JsonNode n = tryParse(t);
        if (n != null) {
            return n;
        }
        // SSE framing ("event: error\ndata: {...}") or a prefix ("CodeBuddy API error: 429 - {...}")
        for (String line : t.split("\n", 50)) {
            String l = line.strip();
            if (l.startsWith("data:")) {
                n = tryParse(l.substring(5).strip());
                if (n != null) {
                    return n;
                }
            }
        }
        int open = t.indexOf('{');
        int close = t.lastIndexOf('}');
        if (open >= 0 && close > open) {
            return tryParse(t.substring(open, close + 1));
        }
        return null;
    }

    private static JsonNode tryParse(String s) {
        if (s.isEmpty() || (s.charAt(0) != '{' && s.charAt(0) != '[')) {
            return null;
        }
        try {
            return JSON.readTree(s);
        } catch (Exception | StackOverflowError e) {
            return null;
        }
    }

    private void walk(JsonNode node, int depth) {
        if (depth > MAX_DEPTH || strings.size() >= MAX_STRINGS) {
            return;
        }
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                if (strings.size() >= MAX_STRINGS) {
                    break;
                }
                String key = e.getKey().toLowerCase(Locale.ROOT);
                JsonNode v = e.getValue();
                if ((key.equals("code") || key.equals("error_code") || key.equals("errorcode") || key.equals("type"))
                        && v.isValueNode()) {
                    codes.add(v.asText().toLowerCase(Locale.ROOT));
                }
                if (key.contains("reset") || key.equals("retry_at")) {
                    if (v.isNumber() && v.canConvertToLong()) {
                        resetInstants.add(Timestamps.epoch(v.asLong()));
                    } else if (v.isTextual() && v.asText().matches("\\d{10,13}")) {
                        resetInstants.add(Timestamps.epoch(Long.parseLong(v.asText())));
                    }
                }
                walk(v, depth + 1);
            }
        } else if (node.isArray()) {
            for (JsonNode v : node) {
                if (strings.size() >= MAX_STRINGS) {
                    break;
                }
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
                if (i != null) {
                    out.add(i);
                }
            }
            Matcher p = UNIX_AFTER_PIPE.matcher(t);
            while (p.find()) {
                out.add(Timestamps.epoch(Long.parseLong(p.group(1))));
            }
            Matcher u = UNIX_RESET.matcher(t);
            while (u.find()) {
                out.add(Timestamps.epoch(Long.parseLong(u.group(1))));
            }
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
                if (d != null) {
                    out.add(d);
                }
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
        if (text == null || text.isBlank()) {
            return defaultZone;
        }
        String z = text.strip().toUpperCase(Locale.ROOT).replace(" ", "");
        if (z.equals("Z") || z.equals("UTC") || z.equals("GMT")) {
            return ZoneOffset.UTC;
        }
        if (z.startsWith("UTC") || z.startsWith("GMT")) {
            z = z.substring(3);
        }
        char sign = z.charAt(0);
        String digits = z.substring(1).replace(":", "");
        int hours;
        int minutes = 0;
        if (digits.length() <= 2) {
            hours = Integer.parseInt(digits);
        } else {
            hours = Integer.parseInt(digits.substring(0, digits.length() - 2));
            minutes = Integer.parseInt(digits.substring(digits.length() - 2));
        }
        int total = (hours * 3600 + minutes * 60) * (sign == '-' ? -1 : 1);
        return ZoneOffset.ofTotalSeconds(total);
    }

    String fallbackText() {
        Matcher title = HTML_TITLE.matcher(raw);
        if (title.find()) {
            return title.group(1);
        }
        String noTags =
                TAGS.matcher(raw.length() > 2000 ? raw.substring(0, 2000) : raw).replaceAll(" ");
        return noTags;
    }

    private static String text(JsonNode n) {
        return n != null && n.isValueNode() && !n.isNull() ? n.asText() : null;
    }

    private static String firstText(JsonNode... nodes) {
        for (JsonNode n : nodes) {
            String t = text(n);
            if (t != null && !t.isBlank()) {
                return t;
            }
        }
        return null;
    }
}
