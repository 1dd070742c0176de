package org.anthropicproxy.provider.openai;

/**
 * Writes JSON string literals exactly as Jackson's default generator does ({@code "} and {@code \} escaped, the
 * control characters below U+0020 as {@code \b \t \n \f \r} or <code>&#92;u00XX</code> with upper-case hex, everything else
 * as is), for the few events the stream translator builds as text instead of through a tree.
 */
final class JsonText {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private JsonText() {
    }

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
}
