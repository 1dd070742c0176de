package org.anthropicproxy.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small reader of systemd unit files, strict enough to catch what systemd would reject: {@code [Section]} headers,
 * {@code Key=Value} lines, {@code #}/{@code ;} comments and blank lines, nothing else; no key outside a section.
 * {@link #execWords} splits a command line the way systemd does (quotes, C escapes, {@code %%} and {@code $$}).
 */
final class SystemdUnit {

    final Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();

    static SystemdUnit parse(String text) {
        SystemdUnit u = new SystemdUnit();
        Map<String, List<String>> current = null;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[")) {
                if (!line.matches("\\[[A-Za-z]+]")) {
                    throw new IllegalArgumentException("bad section header, line " + (i + 1) + ": " + line);
                }
                current = u.sections.computeIfAbsent(line.substring(1, line.length() - 1), k -> new LinkedHashMap<>());
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0 || !line.substring(0, eq).strip().matches("[A-Za-z][A-Za-z0-9]*")) {
                throw new IllegalArgumentException("not Key=Value, line " + (i + 1) + ": " + line);
            }
            if (current == null) {
                throw new IllegalArgumentException("key outside a section, line " + (i + 1) + ": " + line);
            }
            current.computeIfAbsent(line.substring(0, eq).strip(), k -> new ArrayList<>())
                    .add(line.substring(eq + 1).strip());
        }
        return u;
    }

    /** The only value of {@code key} in {@code section}; fails when absent or repeated. */
    String get(String section, String key) {
        List<String> v = sections.getOrDefault(section, Map.of()).get(key);
        if (v == null || v.size() != 1) {
            throw new AssertionError("expected one " + section + "." + key + ", found " + v + " in " + sections);
        }
        return v.get(0);
    }

    static List<String> execWords(String commandLine) {
        List<String> words = new ArrayList<>();
        int i = 0;
        int n = commandLine.length();
        while (i < n) {
            while (i < n && commandLine.charAt(i) == ' ') {
                i++;
            }
            if (i >= n) {
                break;
            }
            StringBuilder w = new StringBuilder();
            boolean quoted = commandLine.charAt(i) == '"';
            if (quoted) {
                i++;
            }
            while (i < n) {
                char c = commandLine.charAt(i);
                if (quoted && c == '"') {
                    i++;
                    if (i < n && commandLine.charAt(i) != ' ') {
                        throw new IllegalArgumentException("text right after a closing quote: " + commandLine);
                    }
                    break;
                }
                if (!quoted && c == ' ') {
                    break;
                }
                if (c == '\\') {
                    char e = commandLine.charAt(i + 1);
                    w.append(
                            switch (e) {
                                case '\\' -> '\\';
                                case '"' -> '"';
                                case 'n' -> '\n';
                                default -> throw new IllegalArgumentException("unknown escape \\" + e);
                            });
                    i += 2;
                    continue;
                }
                if (c == '%' || c == '$') {
                    if (i + 1 >= n || commandLine.charAt(i + 1) != c) {
                        throw new IllegalArgumentException(
                                "unescaped " + c + " (systemd would expand it): " + commandLine);
                    }
                    w.append(c);
                    i += 2;
                    continue;
                }
                w.append(c);
                i++;
                if (quoted && i >= n) {
                    throw new IllegalArgumentException("unterminated quote: " + commandLine);
                }
            }
            words.add(w.toString());
        }
        return words;
    }
}
