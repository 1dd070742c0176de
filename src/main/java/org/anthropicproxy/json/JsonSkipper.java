package org.anthropicproxy.json;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A strict RFC 8259 tokenizer over a byte array that validates and skips values without building anything.
 * {@link MessagesRequestScan} uses it to check a whole request body while decoding only the few top-level values it
 * needs; a Jackson parser spends most of its time on work the proxy throws away (canonicalizing every nested field
 * name, token bookkeeping).
 *
 * <p>What it accepts mirrors Jackson 2's defaults, which the translating path parses with and which clients rely
 * on: no comments, no trailing commas, no leading zeros, strict UTF-8 inside strings (no overlongs, surrogates or code
 * points past U+10FFFF), escaped surrogates in field names must pair, a literal may not run into an identifier
 * character ({@code truex}), a root-level number must end in whitespace, and Jackson's default limits: nesting depth
 * 1000, numbers of 1000 digits, field names of 50,000 UTF-8 bytes. The messages keep Jackson's categories ("is not
 * valid JSON" for syntax, "could not be read" for the limits).
 */
final class JsonSkipper {

    static final int MAX_DEPTH = 1000;
    static final int MAX_NUMBER_DIGITS = 1000;
    static final int MAX_NAME_BYTES = 50_000;

    static final int INT = 1;
    static final int FLOAT = 2;

    final byte[] b;
    int pos;
    /** Whether the last string read had a backslash escape (then it cannot be compared byte by byte). */
    boolean escaped;
    /** Where the last field name read by {@link #fieldName} ends (its closing quote), and whether it had escapes. */
    int nameEnd;

    boolean nameEscaped;
    /** One bit per nesting level: set for objects, clear for arrays. */
    private final long[] kinds = new long[(MAX_DEPTH >> 6) + 2];

    JsonSkipper(byte[] b) {
        this.b = b;
    }

    /** Skips whitespace; returns the next byte (0..255) without consuming it, or -1 at the end. */
    int ws() throws InvalidRequestException {
        byte[] b = this.b;
        int p = pos;
        while (p < b.length) {
            int c = b[p] & 0xFF;
            if (c > ' ') {
                pos = p;
                if (c == '/' || c == '#') {
                    throw invalid("unexpected character " + describe(c) + " (comments are not JSON)");
                }
                return c;
            }
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                pos = p;
                throw invalid("illegal character (code " + c + ") between tokens; only space, \\t, \\r and \\n are");
            }
            p++;
        }
        pos = p;
        return -1;
    }

    /** Skips the value starting with byte {@code c} at {@code pos}; {@code depth} is its parent's nesting depth. */
    void skipValue(int c, int depth) throws InvalidRequestException {
        if (c == '{' || c == '[') {
            skipContainer(depth);
        } else {
            scalar(c, false);
        }
    }

    /**
     * Reads just the token starting with {@code c}, as a Jackson parser's {@code nextToken()} would: containers are
     * only opened, strings only entered, numbers and literals read whole. Throws when that token is malformed; the
     * caller then reports a type or trailing-data error for a well-formed one.
     */
    void token(int c, boolean root) throws InvalidRequestException {
        if (c == '{' || c == '[') {
            pos++;
        } else if (c == '"') {
            pos++;
        } else {
            scalar(c, root);
        }
    }

    /** Skips a string, number or literal; returns {@link #INT} or {@link #FLOAT} for numbers, else 0. */
    int scalar(int c, boolean root) throws InvalidRequestException {
        switch (c) {
            case '"' -> {
                pos++;
                string(false);
                return 0;
            }
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> {
                return number(root);
            }
            case -1 -> throw invalid("unexpected end of input: expected a value");
            default -> throw invalid("unexpected character " + describe(c) + ": expected a value");
        }
        return 0;
    }

    /** Skips the array or object at {@code pos}, iteratively; {@code depth} is its parent's nesting depth. */
    void skipContainer(int depth) throws InvalidRequestException {
        final int top = depth;
        int d = depth;
        boolean inObject = open(++d);
        boolean first = true;
        while (true) {
            int c = ws();
            int close = inObject ? '}' : ']';
            if (c == close) {
                pos++;
                if (--d == top) {
                    return;
                }
                inObject = (kinds[d >> 6] & (1L << d)) != 0;
                first = false;
                continue;
            }
            if (!first) {
                if (c != ',') {
                    throw c < 0
                            ? invalid("unexpected end of input: expected ',' or " + (char) close)
                            : invalid("unexpected character " + describe(c) + ": expected ',' or " + (char) close);
                }
                pos++;
                c = ws();
            }
            first = false;
            if (inObject) {
                c = fieldName(c);
            }
            if (c == '{' || c == '[') {
                inObject = open(++d);
                first = true;
            } else {
                scalar(c, false);
            }
        }
    }

    /** Reads {@code "name" :} given the byte {@code c} at {@code pos}; returns the first byte of the value. */
    int fieldName(int c) throws InvalidRequestException {
        if (c != '"') {
            throw c < 0
                    ? invalid("unexpected end of input: expected a field name")
                    : invalid("unexpected character " + describe(c) + ": expected '\"' to start a field name");
        }
        pos++;
        string(true);
        nameEnd = pos - 1;
        nameEscaped = escaped;
        c = ws();
        if (c != ':') {
            throw c < 0
                    ? invalid("unexpected end of input: expected ':'")
                    : invalid("unexpected character " + describe(c) + ": expected ':' after a field name");
        }
        pos++;
        return ws();
    }

    private boolean open(int depth) throws InvalidRequestException {
        if (depth > MAX_DEPTH) {
            throw unreadable("Document nesting depth (" + depth + ") exceeds the maximum allowed (" + MAX_DEPTH + ")");
        }
        boolean object = b[pos] == '{';
        if (object) {
            kinds[depth >> 6] |= 1L << depth;
        } else {
            kinds[depth >> 6] &= ~(1L << depth);
        }
        pos++;
        return object;
    }

    /**
     * Skips the rest of a string whose opening quote is consumed; leaves {@code pos} after the closing quote. Field
     * names additionally need escaped surrogates to pair and a bounded length, as Jackson checks when it interns them.
     */
    void string(boolean name) throws InvalidRequestException {
        byte[] b = this.b;
        int n = b.length;
        int start = pos;
        int p = start;
        boolean esc = false;
        while (true) {
            p = plainRun(b, p);
            if (p >= n) {
                pos = p;
                throw invalid("unexpected end of input in a string");
            }
            int c = b[p];
            if (c == '"') {
                break;
            } else if (c == '\\') {
                pos = p + 1;
                int ch = escape();
                if (name && ch >= 0xD800 && ch <= 0xDFFF) {
                    lowSurrogateAfter(ch);
                }
                p = pos;
                esc = true;
            } else if (c >= 0) {
                pos = p;
                throw invalid("control character (code " + c + ") in a string; it must be escaped");
            } else {
                p = utf8(p);
            }
        }
        pos = p + 1;
        escaped = esc;
        if (name && p - start > MAX_NAME_BYTES) {
            int len = nameBytes(start, p);
            if (len > MAX_NAME_BYTES) {
                throw unreadable("Name length (" + len + ") exceeds the maximum allowed (" + MAX_NAME_BYTES + ")");
            }
        }
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long QUOTES = 0x2222222222222222L;
    private static final long BACKSLASHES = 0x5C5C5C5C5C5C5C5CL;
    private static final long SPACES = 0x2020202020202020L;

    /**
     * The index of the first byte at or after {@code p} that is not printable ASCII or is a quote or backslash: string
     * content is most of a request, so this looks at eight bytes per step. Per 64-bit word, each test sets the high bit
     * of a byte that is a quote, a backslash, below 0x20 or at least 0x80; borrows can only mark bytes above a real
     * hit, so the lowest marked byte is exact.
     */
    private static int plainRun(byte[] b, int p) {
        int n = b.length;
        while (p <= n - 8) {
            long v = (long) LONGS.get(b, p);
            long q = v ^ QUOTES;
            long s = v ^ BACKSLASHES;
            long hits = ((q - ONES) & ~q | (s - ONES) & ~s | (v - SPACES) | v) & HIGHS;
            if (hits != 0) {
                return p + (Long.numberOfTrailingZeros(hits) >>> 3);
            }
            p += 8;
        }
        while (p < n) {
            int c = b[p];
            if (c < 0x20 || c == '"' || c == '\\') { // negative: a byte of 0x80 or more
                return p;
            }
            p++;
        }
        return p;
    }

    /** In a field name a high surrogate escape must be followed by a low one, and a low one must not stand alone. */
    private void lowSurrogateAfter(int high) throws InvalidRequestException {
        if (high >= 0xDC00) {
            throw invalid("unexpected low surrogate in a field name");
        }
        if (pos >= b.length || b[pos] != '\\') {
            throw invalid("broken surrogate pair in a field name");
        }
        pos++;
        int low = escape();
        if (low < 0xDC00 || low > 0xDFFF) {
            throw invalid("broken surrogate pair in a field name");
        }
    }

    /** Reads the escape after a backslash at {@code pos}; returns the character it stands for. */
    int escape() throws InvalidRequestException {
        if (pos >= b.length) {
            throw invalid("unexpected end of input in a string escape");
        }
        int c = b[pos++] & 0xFF;
        switch (c) {
            case '"', '\\', '/' -> {
                return c;
            }
            case 'b' -> {
                return '\b';
            }
            case 'f' -> {
                return '\f';
            }
            case 'n' -> {
                return '\n';
            }
            case 'r' -> {
                return '\r';
            }
            case 't' -> {
                return '\t';
            }
            case 'u' -> {
                int v = 0;
                for (int i = 0; i < 4; i++) {
                    int h = pos < b.length ? hex(b[pos]) : -1;
                    if (h < 0) {
                        throw invalid("expected a hex digit in a \\u escape");
                    }
                    v = (v << 4) | h;
                    pos++;
                }
                return v;
            }
            default -> throw invalid("unrecognized character escape " + describe(c));
        }
    }

    /** Validates the multi-byte UTF-8 sequence at {@code p} (strictly, RFC 3629); returns the index after it. */
    private int utf8(int p) throws InvalidRequestException {
        int end = StrictUtf8.sequenceEnd(b, p);
        if (end == StrictUtf8.BAD_START) {
            pos = p;
            throw invalid("invalid UTF-8 start byte 0x" + Integer.toHexString(b[p] & 0xFF));
        }
        if (end == StrictUtf8.BAD_CONTINUATION) {
            pos = p;
            throw invalid("invalid UTF-8 sequence at byte " + p);
        }
        return end;
    }

    /** The UTF-8 length of a field name once decoded, which is what Jackson's name limit counts. */
    private int nameBytes(int start, int end) throws InvalidRequestException {
        int saved = pos;
        int n = 0;
        int p = start;
        while (p < end) {
            if (b[p] != '\\') {
                n++;
                p++;
                continue;
            }
            pos = p + 1;
            int ch = escape();
            p = pos;
            n += ch < 0x80 ? 1 : ch < 0x800 ? 2 : ch >= 0xD800 && ch <= 0xDFFF ? 2 : 3;
        }
        pos = saved;
        return n;
    }

    /** Decodes string content {@code [start, end)} already validated by {@link #string}. */
    String decode(int start, int end, boolean hasEscapes) throws InvalidRequestException {
        if (!hasEscapes) {
            return new String(b, start, end - start, StandardCharsets.UTF_8);
        }
        int saved = pos;
        StringBuilder sb = new StringBuilder(end - start);
        int run = start;
        int p = start;
        while (p < end) {
            if (b[p] != '\\') {
                p++;
                continue;
            }
            // escapes never split a UTF-8 sequence, so each raw run decodes on its own
            sb.append(new String(b, run, p - run, StandardCharsets.UTF_8));
            pos = p + 1;
            sb.append((char) escape());
            p = run = pos;
        }
        sb.append(new String(b, run, end - run, StandardCharsets.UTF_8));
        pos = saved;
        return sb.toString();
    }

    /**
     * Reads a number at {@code pos}; returns {@link #INT} or {@link #FLOAT}. At the root Jackson also wants whitespace
     * (or the end) right after it.
     */
    int number(boolean root) throws InvalidRequestException {
        byte[] b = this.b;
        int p = pos;
        if (b[p] == '-') {
            p++;
        }
        int digitsStart = p;
        if (p >= b.length || !digit(b[p])) {
            pos = p;
            throw invalid("expected a digit after '-'");
        }
        if (b[p] == '0' && p + 1 < b.length && digit(b[p + 1])) {
            pos = p;
            throw invalid("leading zeros are not allowed in numbers");
        }
        while (p < b.length && digit(b[p])) {
            p++;
        }
        int digits = p - digitsStart;
        int kind = INT;
        if (p < b.length && b[p] == '.') {
            kind = FLOAT;
            int s = ++p;
            while (p < b.length && digit(b[p])) {
                p++;
            }
            if (p == s) {
                pos = p;
                throw invalid("decimal point not followed by a digit");
            }
            digits += p - s;
        }
        if (p < b.length && (b[p] == 'e' || b[p] == 'E')) {
            kind = FLOAT;
            p++;
            if (p < b.length && (b[p] == '+' || b[p] == '-')) {
                p++;
            }
            int s = p;
            while (p < b.length && digit(b[p])) {
                p++;
            }
            if (p == s) {
                pos = p;
                throw invalid("exponent indicator not followed by a digit");
            }
            digits += p - s;
        }
        pos = p;
        if (root && p < b.length && b[p] != ' ' && b[p] != '\t' && b[p] != '\n' && b[p] != '\r') {
            throw invalid(
                    "unexpected character " + describe(b[p] & 0xFF) + ": expected space separating root-level values");
        }
        if (digits > MAX_NUMBER_DIGITS) {
            throw unreadable(
                    "Number value length (" + digits + ") exceeds the maximum allowed (" + MAX_NUMBER_DIGITS + ")");
        }
        return kind;
    }

    private static int hex(byte c) {
        return c >= '0' && c <= '9'
                ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }

    private static boolean digit(byte c) {
        return c >= '0' && c <= '9';
    }

    /** Reads {@code word} at {@code pos}; like Jackson, refuses one that runs on into an identifier ({@code truex}). */
    private void literal(String word) throws InvalidRequestException {
        int p = pos;
        for (int i = 0; i < word.length(); i++, p++) {
            if (p >= b.length || b[p] != word.charAt(i)) {
                throw invalid("unrecognized token (expected '" + word + "')");
            }
        }
        pos = p;
        if (p < b.length) {
            int c = b[p] & 0xFF;
            if (c >= '0' && c != ']' && c != '}') {
                int ch = c < 0x80 ? c : codePointAt(p);
                if (Character.isJavaIdentifierPart((char) ch)) {
                    throw invalid("unrecognized token: '" + word + "' runs into other characters");
                }
            }
        }
    }

    private int codePointAt(int p) throws InvalidRequestException {
        int end = utf8(p);
        return new String(b, p, end - p, StandardCharsets.UTF_8).codePointAt(0);
    }

    InvalidRequestException invalid(String detail) {
        return new InvalidRequestException("request body is not valid JSON: " + detail + " (at byte " + pos + ")");
    }

    static InvalidRequestException unreadable(String detail) {
        return new InvalidRequestException("request body could not be read: " + detail);
    }

    private static String describe(int c) {
        return c >= 0x20 && c < 0x7F ? "'" + (char) c + "'" : "(code " + c + ")";
    }
}
