package org.anthropicproxy.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Expands {@code ${VAR}} and {@code ${VAR:-default}} in every string of a loaded YAML tree. */
final class EnvInterpolator {

    private static final Pattern REF = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");

    private final Map<String, String> env;
    private final String file;

    EnvInterpolator(Map<String, String> env, String file) {
        this.env = env;
        this.file = file;
    }

    Object expand(Object node, String path) {
        if (node instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String key = String.valueOf(e.getKey());
                out.put(key, expand(e.getValue(), path.isEmpty() ? key : path + "." + key));
            }
            return out;
        }
        if (node instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                out.add(expand(list.get(i), path + "[" + i + "]"));
            }
            return out;
        }
        if (node instanceof String s && s.contains("${")) {
            Matcher m = REF.matcher(s);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String value = env.get(m.group(1));
                if (value == null || (value.isEmpty() && m.group(2) != null)) {
                    if (m.group(2) == null) {
                        throw new ConfigException(path + ": environment variable " + m.group(1) + " is not set (in "
                                + file + "; write ${" + m.group(1) + ":-default} for a default)");
                    }
                    value = m.group(3);
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(value));
            }
            m.appendTail(sb);
            return sb.toString();
        }
        return node;
    }
}
