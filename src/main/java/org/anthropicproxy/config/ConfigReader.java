package org.anthropicproxy.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Typed access to a raw YAML map with errors that name the key and the file. */
record ConfigReader(String where) {

    ConfigException error(String key, String problem) {
        return new ConfigException(key + ": " + problem + " (in " + where + ")");
    }

    void onlyKeys(Map<String, Object> m, Set<String> allowed, String prefix) {
        for (String k : m.keySet()) {
            if (!allowed.contains(k)) {
                throw error(
                        prefix + k,
                        "unknown key (allowed: "
                                + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> asMap(Object v, String key) {
        if (v == null) {
            return new LinkedHashMap<>();
        }
        if (!(v instanceof Map<?, ?>)) {
            throw error(key, "must be a mapping");
        }
        return (Map<String, Object>) v;
    }

    Map<String, Object> map(Map<String, Object> m, String k) {
        return asMap(m.get(k), k);
    }

    Map<String, Object> map(Map<String, Object> m, String k, String parent) {
        return asMap(m.get(k), parent + "." + k);
    }

    Map<String, String> stringMap(Map<String, Object> m, String k, String parent) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : map(m, k, parent).entrySet()) {
            if (e.getValue() == null || e.getValue() instanceof Map || e.getValue() instanceof List) {
                throw error(parent + "." + k + "." + e.getKey(), "must be a string");
            }
            out.put(e.getKey(), String.valueOf(e.getValue()));
        }
        return out;
    }

    String string(Map<String, Object> m, String k, String dflt) {
        Object v = m.get(k);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Map || v instanceof List) {
            throw error(k, "must be a string");
        }
        return String.valueOf(v);
    }

    String requiredString(Map<String, Object> m, String k, String parent) {
        String v = string(m, k, null);
        if (v == null || v.isBlank()) {
            throw error(parent + "." + k, "missing value");
        }
        return v;
    }

    long integer(Map<String, Object> m, String k, long dflt, String key) {
        Object v = m.get(k);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return n.longValue();
        }
        try {
            return Long.parseLong(String.valueOf(v).trim());
        } catch (NumberFormatException e) {
            throw error(key, "'" + v + "' is not an integer");
        }
    }

    int integer(Map<String, Object> m, String k, int dflt, String key) {
        return (int) integer(m, k, (long) dflt, key);
    }

    /** USD per million tokens: a number of at least 0, 0 when absent. */
    double price(Map<String, Object> m, String k, String parent) {
        Object v = m.get(k);
        if (v == null) {
            return 0;
        }
        try {
            double d = v instanceof Number n
                    ? n.doubleValue()
                    : Double.parseDouble(String.valueOf(v).strip());
            if (d >= 0 && Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw error(parent + "." + k, "'" + v + "' is not a price in USD per million tokens (a number >= 0)");
    }

    boolean bool(Map<String, Object> m, String k, boolean dflt, String parent) {
        Object v = m.get(k);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        String s = String.valueOf(v).trim().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        throw error(parent + "." + k, "'" + v + "' is not true or false");
    }

    Duration duration(Map<String, Object> m, String k, Duration dflt, String prefix) {
        Object v = m.get(k);
        if (v == null) {
            return dflt;
        }
        try {
            return Durations.parse(v, prefix + k);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage() + " (in " + where + ")");
        }
    }

    List<String> stringList(Object v, String key) {
        if (v instanceof String s) {
            return List.of(s);
        }
        if (!(v instanceof List<?> l)) {
            throw error(key, "must be a list of names");
        }
        List<String> out = new ArrayList<>();
        for (Object o : l) {
            if (o == null || o instanceof Map || o instanceof List) {
                throw error(key, "must be a list of names");
            }
            out.add(String.valueOf(o));
        }
        return out;
    }
}
