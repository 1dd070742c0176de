package org.anthropicproxy.observe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4: every line must be a {@code # HELP}, a
 * {@code # TYPE}, another comment, blank, or a sample {@code name{label="value",…} value [timestamp]}; every sample
 * must belong to a family whose {@code # TYPE} came first, with the suffixes its type allows; a family is typed once.
 * Anything else throws, naming the line.
 */
final class PrometheusText {

    record Sample(String name, Map<String, String> labels, double value) {}

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern TYPE =
            Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ")( .*)?");
    private static final Pattern VALUE = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?|NaN|[+-]Inf");
    private static final Map<String, Set<String>> SUFFIXES = Map.of(
            "counter", Set.of("", "_total", "_created"),
            "gauge", Set.of(""),
            "untyped", Set.of(""),
            "histogram", Set.of("_bucket", "_count", "_sum", "_created"),
            "summary", Set.of("", "_count", "_sum", "_created"));

    final List<Sample> samples = new ArrayList<>();
    final Map<String, String> types = new LinkedHashMap<>();

    static PrometheusText parse(String text) {
        PrometheusText p = new PrometheusText();
        String[] lines = text.split("\n", -1);
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("exposition does not end with a newline");
        }
        Map<String, Boolean> helped = new HashMap<>();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String where = "line " + (i + 1) + ": " + line;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                Matcher t = TYPE.matcher(line);
                Matcher h = HELP.matcher(line);
                if (t.matches()) {
                    if (p.types.put(t.group(1), t.group(2)) != null) {
                        throw new IllegalArgumentException("second # TYPE for the family, " + where);
                    }
                } else if (h.matches()) {
                    if (helped.put(h.group(1), true) != null) {
                        throw new IllegalArgumentException("second # HELP for the family, " + where);
                    }
                } else if (line.startsWith("# TYPE") || line.startsWith("# HELP")) {
                    throw new IllegalArgumentException("malformed " + where);
                }
                continue;
            }
            Sample s = sample(line, where);
            String family = p.familyOf(s.name());
            if (family == null) {
                throw new IllegalArgumentException("sample without a # TYPE before it, " + where);
            }
            p.samples.add(s);
        }
        return p;
    }

    private String familyOf(String sampleName) {
        for (Map.Entry<String, String> t : types.entrySet()) {
            for (String suffix : SUFFIXES.get(t.getValue())) {
                if (sampleName.equals(t.getKey() + suffix)) {
                    return t.getKey();
                }
            }
        }
        return null;
    }

    private static Sample sample(String line, String where) {
        Matcher n = NAME.matcher(line);
        if (!n.lookingAt()) {
            throw new IllegalArgumentException("no metric name, " + where);
        }
        String name = n.group();
        int i = n.end();
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                Matcher ln = LABEL_NAME.matcher(line).region(i, line.length());
                if (!ln.lookingAt()) {
                    throw new IllegalArgumentException("bad label name, " + where);
                }
                i = ln.end();
                if (!line.startsWith("=\"", i)) {
                    throw new IllegalArgumentException("label without =\", " + where);
                }
                i += 2;
                StringBuilder v = new StringBuilder();
                while (line.charAt(i) != '"') {
                    char c = line.charAt(i++);
                    if (c == '\\') {
                        char e = line.charAt(i++);
                        switch (e) {
                            case '\\' -> v.append('\\');
                            case '"' -> v.append('"');
                            case 'n' -> v.append('\n');
                            default -> throw new IllegalArgumentException("bad escape \\" + e + ", " + where);
                        }
                    } else {
                        v.append(c);
                    }
                }
                i++;
                if (labels.put(ln.group(), v.toString()) != null) {
                    throw new IllegalArgumentException("label given twice, " + where);
                }
                if (line.charAt(i) == ',') {
                    i++;
                } else if (line.charAt(i) != '}') {
                    throw new IllegalArgumentException("expected , or } after a label, " + where);
                }
            }
            i++;
        }
        String[] rest = line.substring(i).split(" ", -1);
        if (rest.length < 2
                || rest.length > 3
                || !rest[0].isEmpty()
                || !VALUE.matcher(rest[1]).matches()
                || rest.length == 3 && !rest[2].matches("-?\\d+")) {
            throw new IllegalArgumentException("expected ' value [timestamp]' after the name and labels, " + where);
        }
        double value = switch (rest[1]) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(rest[1]);
        };
        return new Sample(name, labels, value);
    }

    /** The sum of the samples named {@code name} whose labels include all of {@code labels} (k, v, k, v…); 0 when none. */
    double sum(String name, String... labels) {
        return matching(name, labels).stream().mapToDouble(Sample::value).sum();
    }

    List<Sample> matching(String name, String... labels) {
        List<Sample> out = new ArrayList<>();
        for (Sample s : samples) {
            if (!s.name().equals(name)) {
                continue;
            }
            boolean all = true;
            for (int i = 0; i < labels.length; i += 2) {
                all &= labels[i + 1].equals(s.labels().get(labels[i]));
            }
            if (all) {
                out.add(s);
            }
        }
        return out;
    }

    /** The one sample named {@code name} with exactly these labels' values (others may exist); fails when absent. */
    double value(String name, String... labels) {
        List<Sample> m = matching(name, labels);
        if (m.size() != 1) {
            throw new AssertionError("expected one sample " + name + " " + List.of(labels) + ", found " + m);
        }
        return m.get(0).value();
    }
}
