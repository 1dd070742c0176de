package org.anthropicproxy.provider.openai;

import java.util.List;

/**
 * Local stop-sequence matching over streamed text. Text that could be the start of a stop string is held back until
 * it is decided; on a match the text is cut before the stop string (Anthropic does not return it) and everything
 * after is discarded.
 */
final class StopMatcher {

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private String matched;

    StopMatcher(List<String> stops) {
        this.stops = stops.stream().filter(s -> s != null && !s.isEmpty()).toList();
    }

    /** Returns the text that can be released now (possibly empty). After a match, always empty. */
    String feed(String text) {
        if (matched != null) {
            return "";
        }
        if (stops.isEmpty()) {
            return text;
        }
        held.append(text);
        int best = -1;
        String bestStop = null;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
                bestStop = s;
            }
        }
        if (best >= 0) {
            matched = bestStop;
            String out = held.substring(0, best);
            held.setLength(0);
            return out;
        }
        int keep = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, held.length()); k > keep; k--) {
                if (held.length() >= k && regionEquals(held, held.length() - k, s, k)) {
                    keep = k;
                    break;
                }
            }
        }
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    private static boolean regionEquals(CharSequence a, int from, String s, int n) {
        for (int i = 0; i < n; i++) {
            if (a.charAt(from + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Releases held-back text (end of the text block). */
    String flush() {
        String out = held.toString();
        held.setLength(0);
        return out;
    }

    /** The stop string that matched, or null. */
    String matched() {
        return matched;
    }

    /** Cuts a complete text at the first stop string (non-streaming responses). */
    static String[] cut(String text, List<String> stops) {
        StopMatcher m = new StopMatcher(stops);
        String out = m.feed(text);
        if (m.matched() == null) {
            out += m.flush();
        }
        return new String[] {out, m.matched()};
    }
}
