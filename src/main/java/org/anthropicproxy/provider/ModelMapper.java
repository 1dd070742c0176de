package org.anthropicproxy.provider;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns the model a client asked for into the provider's upstream model: the ordered rules first (exact names and
 * globs such as {@code claude-*-sonnet-*}), then the family fallback (a name containing opus, sonnet or haiku goes to
 * that alias's target), else the name unchanged.
 */
public final class ModelMapper {

    private static final List<String> FAMILIES = List.of("opus", "sonnet", "haiku");

    private record Rule(String pattern, Pattern glob, String target) {
        boolean matches(String model) {
            return glob == null ? pattern.equals(model) : glob.matcher(model).matches();
        }
    }

    private final List<Rule> rules;
    private final Map<String, String> familyTargets;

    public ModelMapper(Map<String, String> orderedRules) {
        List<Rule> list = new ArrayList<>();
        Map<String, String> families = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : orderedRules.entrySet()) {
            String p = e.getKey();
            list.add(new Rule(p, isGlob(p) ? toRegex(p) : null, e.getValue()));
            if (FAMILIES.contains(p.toLowerCase(Locale.ROOT))) {
                families.put(p.toLowerCase(Locale.ROOT), e.getValue());
            }
        }
        this.rules = List.copyOf(list);
        this.familyTargets = Map.copyOf(families);
    }

    public static ModelMapper identity() {
        return new ModelMapper(Map.of());
    }

    public String map(String requested) {
        for (Rule r : rules) {
            if (r.matches(requested)) {
                return r.target();
            }
        }
        String lower = requested.toLowerCase(Locale.ROOT);
        for (String family : FAMILIES) {
            if (lower.contains(family) && familyTargets.containsKey(family)) {
                return familyTargets.get(family);
            }
        }
        return requested;
    }

    /** Names this provider answers to, for {@code /v1/models}: the rule patterns that are plain names, then targets. */
    public List<String> advertisedNames() {
        List<String> names = new ArrayList<>();
        for (Rule r : rules) {
            if (r.glob == null && !names.contains(r.pattern)) {
                names.add(r.pattern);
            }
        }
        for (Rule r : rules) {
            if (!names.contains(r.target)) {
                names.add(r.target);
            }
        }
        return names;
    }

    public Map<String, String> rules() {
        Map<String, String> m = new LinkedHashMap<>();
        rules.forEach(r -> m.put(r.pattern, r.target));
        return m;
    }

    private static boolean isGlob(String p) {
        return p.indexOf('*') >= 0 || p.indexOf('?') >= 0;
    }

    private static Pattern toRegex(String glob) {
        StringBuilder sb = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> sb.append(".*");
                case '?' -> sb.append('.');
                default -> sb.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(sb.toString(), Pattern.CASE_INSENSITIVE);
    }
}
