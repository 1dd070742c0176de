package org.anthropicproxy.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The body of one kind of request, as {@link #next()} gives it for each request: either the same bytes every time, or
 * a template whose placeholders are replaced by a number unique to the request (one global counter, so no two requests
 * of the run, direct or proxied, of any kind, carry the same number). The template is split at its placeholders once;
 * a request costs one array of the body's size and a few copies, no JSON work.
 */
public final class Body {

    /** The placeholder {@link BenchData#claudeCodeLikeBody} puts into the text of the newest turn's two messages. */
    public static final String SEQ = "@@SEQ@@";

    private static final AtomicLong COUNTER = new AtomicLong();

    private final byte[][] parts;
    private final int fixedLength;

    private Body(byte[][] parts) {
        this.parts = parts;
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        this.fixedLength = n;
    }

    /** The same bytes for every request. */
    public static Body fixed(byte[] bytes) {
        return new Body(new byte[][] {bytes});
    }

    /**
     * {@code template} with every occurrence of {@link #SEQ} replaced per request by the decimal digits of the next
     * counter value (the same value at each occurrence of one request); at least one occurrence.
     */
    public static Body sequenced(byte[] template) {
        byte[] token = SEQ.getBytes(StandardCharsets.US_ASCII);
        List<byte[]> parts = new ArrayList<>();
        int from = 0;
        for (int i = indexOf(template, token, 0); i >= 0; i = indexOf(template, token, from)) {
            parts.add(Arrays.copyOfRange(template, from, i));
            from = i + token.length;
        }
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("template without " + SEQ);
        }
        parts.add(Arrays.copyOfRange(template, from, template.length));
        return new Body(parts.toArray(byte[][]::new));
    }

    /** How many places of a request's body carry its number (0 for a fixed body). */
    public int placeholders() {
        return parts.length - 1;
    }

    /** The bytes of the next request: a new array for a sequenced body, the one shared array for a fixed body. */
    public byte[] next() {
        if (parts.length == 1) {
            return parts[0];
        }
        long seq = COUNTER.getAndIncrement();
        int digits = digits(seq);
        byte[] out = new byte[fixedLength + digits * (parts.length - 1)];
        int at = 0;
        for (int k = 0; k < parts.length; k++) {
            byte[] p = parts[k];
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
            if (k < parts.length - 1) {
                long v = seq;
                for (int d = at + digits - 1; d >= at; d--) {
                    out[d] = (byte) ('0' + v % 10);
                    v /= 10;
                }
                at += digits;
            }
        }
        return out;
    }

    /** The size of a request's body now (a sequenced one grows by a byte per placeholder with each extra digit). */
    public int size() {
        return fixedLength + digits(COUNTER.get()) * (parts.length - 1);
    }

    private static int digits(long v) {
        int n = 1;
        while (v >= 10) {
            v /= 10;
            n++;
        }
        return n;
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
