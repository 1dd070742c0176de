package org.anthropicproxy.json;

/**
 * Strict UTF-8 (RFC 3629 section 4): no overlong forms, no encoded surrogates, nothing past U+10FFFF. Jackson refuses
 * the same sequences in a request body, and so must {@link JsonSkipper}, which validates without decoding
 * ({@code MessagesRequestScanTest} compares the two).
 */
final class StrictUtf8 {

    /** {@link #sequenceEnd}: the lead byte cannot start a multi-byte sequence. */
    static final int BAD_START = -1;
    /** {@link #sequenceEnd}: a continuation byte is missing or out of range for its lead. */
    static final int BAD_CONTINUATION = -2;

    private StrictUtf8() {}

    /** The index after the multi-byte sequence starting at {@code p}, or {@link #BAD_START} / {@link #BAD_CONTINUATION}. */
    static int sequenceEnd(byte[] b, int p) {
        int lead = b[p] & 0xFF;
        int more;
        int min = 0x80;
        int max = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            more = 1;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            more = 2;
            if (lead == 0xE0) {
                min = 0xA0; // overlong
            } else if (lead == 0xED) {
                max = 0x9F; // surrogate
            }
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            more = 3;
            if (lead == 0xF0) {
                min = 0x90; // overlong
            } else if (lead == 0xF4) {
                max = 0x8F; // past U+10FFFF
            }
        } else {
            return BAD_START;
        }
        for (int i = 1; i <= more; i++) {
            int x = p + i < b.length ? b[p + i] & 0xFF : -1;
            if (x < min || x > max) {
                return BAD_CONTINUATION;
            }
            min = 0x80;
            max = 0xBF;
        }
        return p + more + 1;
    }
}
