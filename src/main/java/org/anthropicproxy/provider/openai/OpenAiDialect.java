package org.anthropicproxy.provider.openai;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an OpenAI-compatible upstream accepts. Immutable; build with {@link #defaults()}, {@link #codebuddy()} or
 * {@link #fromMap(Map, OpenAiDialect, String)} (YAML, snake_case keys).
 *
 * <p>{@code cleanToolSchemas} removes, recursively: {@code $schema}, {@code $id}, {@code additionalProperties},
 * {@code format} on strings other than {@code date-time}; and adds {@code properties:{}} to object schemas that lack it
 * (strict upstreams such as LM Studio reject those). {@code maxStopSequences} is the number of stop strings sent
 * upstream; all of the client's stop strings are still matched locally by the response side.
 */
public record OpenAiDialect(
        boolean forceStream,
        String maxTokensField,
        Map<String, Integer> maxTokensClamp,
        ReasoningStyle reasoningStyle,
        boolean reasoningContentInHistory,
        boolean cleanToolSchemas,
        boolean keepCacheControl,
        boolean systemFirst,
        Map<String, String> phraseRewrites,
        int maxToolNameLength,
        int maxStopSequences) {

    public static final String MAX_TOKENS = "max_tokens";
    public static final String MAX_COMPLETION_TOKENS = "max_completion_tokens";

    /**
     * CodeBuddy content-filter triggers (research codebuddy §0 and §1.5), applied to system text in this order.
     * The billing-header line is removed separately for every dialect.
     */
    public static final Map<String, String> CODEBUDDY_PHRASE_REWRITES = codebuddyRewrites();

    private static Map<String, String> codebuddyRewrites() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("You are Claude Code, Anthropic's official CLI for Claude.", "You are an AI coding assistant.");
        m.put("You are Claude Code, Anthropic's official CLI.", "You are an AI coding assistant.");
        m.put("Main branch (you will usually use this for PRs)", "Default branch for pull requests");
        m.put("Use the feedback tool to give feedback to Anthropic.", "");
        m.put("To give feedback, users should report the issue at", "To report an issue, users can visit");
        return Collections.unmodifiableMap(m);
    }

    public OpenAiDialect {
        if (!MAX_TOKENS.equals(maxTokensField) && !MAX_COMPLETION_TOKENS.equals(maxTokensField)) {
            throw new IllegalArgumentException(
                    "max_tokens_field must be max_tokens or max_completion_tokens, got " + maxTokensField);
        }
        if (reasoningStyle == null) {
            throw new IllegalArgumentException("reasoning_style must be set");
        }
        if (maxToolNameLength < 16) {
            throw new IllegalArgumentException("max_tool_name_length must be >= 16, got " + maxToolNameLength);
        }
        if (maxStopSequences < 0) {
            throw new IllegalArgumentException("max_stop_sequences must be >= 0, got " + maxStopSequences);
        }
        maxTokensClamp = Map.copyOf(maxTokensClamp == null ? Map.of() : maxTokensClamp);
        phraseRewrites =
                Collections.unmodifiableMap(new LinkedHashMap<>(phraseRewrites == null ? Map.of() : phraseRewrites));
    }

    /** Plain OpenAI Chat Completions. */
    public static OpenAiDialect defaults() {
        return new OpenAiDialect(
                false,
                MAX_TOKENS,
                Map.of(),
                ReasoningStyle.REASONING_EFFORT,
                false,
                false,
                false,
                false,
                Map.of(),
                64,
                4);
    }

    /** CodeBuddy {@code /v2/chat/completions} (research codebuddy §1.5, §1.7). */
    public static OpenAiDialect codebuddy() {
        return new OpenAiDialect(
                true,
                MAX_TOKENS,
                Map.of(),
                ReasoningStyle.REASONING_EFFORT_AND_SUMMARY,
                false,
                true,
                false,
                true,
                CODEBUDDY_PHRASE_REWRITES,
                64,
                4);
    }

    private static final Set<String> KEYS = Set.of(
            "force_stream",
            "max_tokens_field",
            "max_tokens_clamp",
            "reasoning_style",
            "reasoning_content_in_history",
            "clean_tool_schemas",
            "keep_cache_control",
            "system_first",
            "phrase_rewrites",
            "max_tool_name_length",
            "max_stop_sequences");

    /**
     * Overlays YAML keys on {@code base}. Unknown keys and wrong types fail with an {@link IllegalArgumentException}
     * naming the key and {@code where} (e.g. {@code "providers.codebuddy.dialect"}).
     */
    public static OpenAiDialect fromMap(Map<String, Object> yaml, OpenAiDialect base, String where) {
        if (yaml == null) {
            return base;
        }
        for (String k : yaml.keySet()) {
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException(where + ": unknown key '" + k + "' (known: "
                        + String.join(", ", KEYS.stream().sorted().toList()) + ")");
            }
        }
        try {
            return new OpenAiDialect(
                    bool(yaml, "force_stream", base.forceStream(), where),
                    str(yaml, "max_tokens_field", base.maxTokensField(), where),
                    intMap(yaml, "max_tokens_clamp", base.maxTokensClamp(), where),
                    style(yaml, base.reasoningStyle(), where),
                    bool(yaml, "reasoning_content_in_history", base.reasoningContentInHistory(), where),
                    bool(yaml, "clean_tool_schemas", base.cleanToolSchemas(), where),
                    bool(yaml, "keep_cache_control", base.keepCacheControl(), where),
                    bool(yaml, "system_first", base.systemFirst(), where),
                    strMap(yaml, "phrase_rewrites", base.phraseRewrites(), where),
                    integer(yaml, "max_tool_name_length", base.maxToolNameLength(), where),
                    integer(yaml, "max_stop_sequences", base.maxStopSequences(), where));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(where)) {
                throw e;
            }
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    /** Max output tokens allowed for {@code upstreamModel}: exact key first, then globs ({@code *}, {@code ?}), then "*". */
    public OptionalInt clampFor(String upstreamModel) {
        Integer exact = maxTokensClamp.get(upstreamModel);
        if (exact != null) {
            return OptionalInt.of(exact);
        }
        Integer best = null;
        int bestLen = -1;
        for (Map.Entry<String, Integer> e : maxTokensClamp.entrySet()) {
            String k = e.getKey();
            if (!k.equals("*") && globMatches(k, upstreamModel) && k.length() > bestLen) {
                best = e.getValue();
                bestLen = k.length();
            }
        }
        if (best == null) {
            best = maxTokensClamp.get("*");
        }
        return best == null ? OptionalInt.empty() : OptionalInt.of(best);
    }

    static boolean globMatches(String glob, String s) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return s != null && s.matches(re.toString());
    }

    private static Object get(Map<String, Object> m, String k) {
        return m.get(k);
    }

    private static boolean bool(Map<String, Object> m, String k, boolean dflt, String where) {
        Object v = get(m, k);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException(where + ": '" + k + "' must be true or false, got " + v);
    }

    private static int integer(Map<String, Object> m, String k, int dflt, String where) {
        Object v = get(m, k);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n && n.doubleValue() == n.intValue()) {
            return n.intValue();
        }
        throw new IllegalArgumentException(where + ": '" + k + "' must be an integer, got " + v);
    }

    private static String str(Map<String, Object> m, String k, String dflt, String where) {
        Object v = get(m, k);
        if (v == null) {
            return dflt;
        }
        if (v instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException(where + ": '" + k + "' must be a string, got " + v);
    }

    private static ReasoningStyle style(Map<String, Object> m, ReasoningStyle dflt, String where) {
        String s = str(m, "reasoning_style", null, where);
        if (s == null) {
            return dflt;
        }
        try {
            return ReasoningStyle.valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": 'reasoning_style' must be one of "
                    + List.of(ReasoningStyle.values()).toString().toLowerCase(Locale.ROOT) + ", got " + s);
        }
    }

    private static Map<String, Integer> intMap(
            Map<String, Object> m, String k, Map<String, Integer> dflt, String where) {
        Object v = get(m, k);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Map<?, ?> raw)) {
            throw new IllegalArgumentException(where + ": '" + k + "' must be a map of model -> integer");
        }
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : raw.entrySet()) {
            if (!(e.getValue() instanceof Number n) || n.doubleValue() != n.intValue() || n.intValue() <= 0) {
                throw new IllegalArgumentException(
                        where + ": '" + k + "." + e.getKey() + "' must be a positive integer, got " + e.getValue());
            }
            out.put(String.valueOf(e.getKey()), n.intValue());
        }
        return out;
    }

    private static Map<String, String> strMap(Map<String, Object> m, String k, Map<String, String> dflt, String where) {
        Object v = get(m, k);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Map<?, ?> raw)) {
            throw new IllegalArgumentException(where + ": '" + k + "' must be a map of phrase -> replacement");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : raw.entrySet()) {
            if (e.getKey() == null || String.valueOf(e.getKey()).isEmpty()) {
                throw new IllegalArgumentException(where + ": '" + k + "' has an empty phrase");
            }
            out.put(String.valueOf(e.getKey()), e.getValue() == null ? "" : String.valueOf(e.getValue()));
        }
        return out;
    }
}
