package org.anthropicproxy.json;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Replaces top-level values of a JSON body in place, copying every other byte as it was. This is how passthrough
 * rewrites {@code model} without a parse/re-serialize round trip, which on a Claude Code sized body would cost many
 * times the copy the splice is ({@code PassthroughRewriteBench} in bench/ measures scan and splice).
 */
public final class BodySplice {

    private BodySplice() {}

    /** Returns {@code body} with the bytes of {@code span} replaced by {@code replacement}. */
    public static byte[] replace(byte[] body, MessagesRequestScan.Span span, byte[] replacement) {
        byte[] out = new byte[body.length - (span.end() - span.start()) + replacement.length];
        System.arraycopy(body, 0, out, 0, span.start());
        System.arraycopy(replacement, 0, out, span.start(), replacement.length);
        System.arraycopy(body, span.end(), out, span.start() + replacement.length, body.length - span.end());
        return out;
    }

    /** Replaces two non-overlapping spans (either order) in one copy. */
    public static byte[] replace(
            byte[] body, MessagesRequestScan.Span a, byte[] ra, MessagesRequestScan.Span b, byte[] rb) {
        return replace(body, List.of(a, b), List.of(ra, rb));
    }

    /** Replaces non-overlapping spans (any order), {@code spans.get(i)} by {@code replacements.get(i)}, in one copy. */
    public static byte[] replace(byte[] body, List<MessagesRequestScan.Span> spans, List<byte[]> replacements) {
        Integer[] order = new Integer[spans.size()];
        int length = body.length;
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            length += replacements.get(i).length
                    - (spans.get(i).end() - spans.get(i).start());
        }
        Arrays.sort(order, Comparator.comparingInt(i -> spans.get(i).start()));
        byte[] out = new byte[length];
        int from = 0;
        int o = 0;
        for (int i : order) {
            MessagesRequestScan.Span s = spans.get(i);
            byte[] r = replacements.get(i);
            System.arraycopy(body, from, out, o, s.start() - from);
            o += s.start() - from;
            System.arraycopy(r, 0, out, o, r.length);
            o += r.length;
            from = s.end();
        }
        System.arraycopy(body, from, out, o, body.length - from);
        return out;
    }

    /** A JSON string literal for {@code s}, escaped. */
    public static byte[] jsonString(String s) {
        return Json.write(s).getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] slice(byte[] body, MessagesRequestScan.Span span) {
        return Arrays.copyOfRange(body, span.start(), span.end());
    }
}
