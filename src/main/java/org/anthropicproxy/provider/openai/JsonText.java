package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes JSON string literals exactly as Jackson's default generator does ({@code "} and {@code \} escaped, the
 * control characters below U+0020 as {@code \b \t \n \f \r} or <code>&#92;u00XX</code> with upper-case hex, everything else
 * as is), for the few events the stream translator builds as text instead of through a tree, and compact JSON of
 * parsed trees (tool_use inputs sent as {@code arguments}) without a generator per value.
 */
final class JsonText {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private JsonText() {}

    static StringBuilder quote(StringBuilder sb, String s) {
        sb.append('"');
        int n = s.length();
        int from = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') {
                continue;
            }
            sb.append(s, from, i);
            from = i + 1;
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\t' -> sb.append("\\t");
                case '\n' -> sb.append("\\n");
                case '\f' -> sb.append("\\f");
                case '\r' -> sb.append("\\r");
                default -> sb.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
            }
        }
        sb.append(s, from, n);
        return sb.append('"');
    }

    /** {@code n} as compact JSON, the same text as {@code n.toString()}. */
    static String write(JsonNode n) {
        StringBuilder sb = new StringBuilder(64);
        return append(sb, n) ? sb.toString() : n.toString();
    }

    /** Appends {@code n}; false (with {@code sb} partly written) for a node kind left to Jackson (floats, POJOs, binary). */
    private static boolean append(StringBuilder sb, JsonNode n) {
        switch (n.getNodeType()) {
            case OBJECT -> {
                sb.append('{');
                boolean first = true;
                for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = it.next();
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    quote(sb, f.getKey()).append(':');
                    if (!append(sb, f.getValue())) {
                        return false;
                    }
                }
                sb.append('}');
            }
            case ARRAY -> {
                sb.append('[');
                for (int i = 0; i < n.size(); i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    if (!append(sb, n.get(i))) {
                        return false;
                    }
                }
                sb.append(']');
            }
            case STRING -> quote(sb, n.textValue());
            case BOOLEAN -> sb.append(n.booleanValue());
            case NULL -> sb.append("null");
            case NUMBER -> {
                if (n.isInt() || n.isLong() || n.isShort()) {
                    sb.append(n.longValue());
                } else if (n.isBigInteger()) {
                    sb.append(n.bigIntegerValue());
                } else {
                    return false;
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }
}
