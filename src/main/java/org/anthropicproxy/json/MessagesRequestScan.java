package org.anthropicproxy.json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One pass over the bytes of a {@code /v1/messages} body: validates the few fields every backend needs
 * ({@code model}, {@code max_tokens}, {@code messages}), reads {@code stream}, and records the byte ranges of the
 * values a provider may want to replace. The whole body is checked as strict JSON, but nested content is only
 * validated by {@link JsonSkipper}, never tokenized into objects or decoded, so a 300 KB Claude Code request costs one
 * tight loop over its bytes: a Jackson parser skipping nested values would still intern their field names, a large part
 * of a passthrough request's CPU ({@code PassthroughRewriteBench} in bench/ measures the scan).
 *
 * <p>Errors come in the order a streaming parser meets them: a field with the wrong type is reported as soon as its
 * first token is read, even if the body is broken further on; duplicate fields count the last one, and field names
 * are compared after unescaping, as Jackson did.
 *
 * <p>Validation stays shallow on purpose: unknown fields and new block types pass through untouched.
 */
public final class MessagesRequestScan {

    /** Byte range {@code [start, end)} of one top-level value in the body. */
    public record Span(int start, int end) {}

    private final String model;
    private final boolean stream;
    private final Span modelSpan;
    private final Span systemSpan;
    private final Span toolsSpan;
    private final Span messagesSpan;

    private MessagesRequestScan(
            String model, boolean stream, Span modelSpan, Span systemSpan, Span toolsSpan, Span messagesSpan) {
        this.model = model;
        this.stream = stream;
        this.modelSpan = modelSpan;
        this.systemSpan = systemSpan;
        this.toolsSpan = toolsSpan;
        this.messagesSpan = messagesSpan;
    }

    public String model() {
        return model;
    }

    public boolean stream() {
        return stream;
    }

    public Span modelSpan() {
        return modelSpan;
    }

    /** The {@code system} value's range, or {@code null} when the request has none. */
    public Span systemSpan() {
        return systemSpan;
    }

    /** The {@code tools} value's range, or {@code null} when the request has none. */
    public Span toolsSpan() {
        return toolsSpan;
    }

    /** The {@code messages} array's range (a scanned request always has one). */
    public Span messagesSpan() {
        return messagesSpan;
    }

    /** The ranges of the elements of the array at {@code array} in {@code body}, a body this class scanned. */
    public static List<Span> elements(byte[] body, Span array) {
        JsonSkipper j = new JsonSkipper(body);
        j.pos = array.start() + 1;
        List<Span> out = new ArrayList<>();
        try {
            int c = j.ws();
            while (c != ']') {
                int start = j.pos;
                j.skipValue(c, 2);
                out.add(new Span(start, j.pos));
                c = j.ws();
                if (c == ',') {
                    j.pos++;
                    c = j.ws();
                }
            }
        } catch (InvalidRequestException e) {
            throw new IllegalArgumentException("not an array this scan accepted", e);
        }
        return out;
    }

    private static final byte[] MODEL = ascii("model");
    private static final byte[] MAX_TOKENS = ascii("max_tokens");
    private static final byte[] MESSAGES = ascii("messages");
    private static final byte[] STREAM = ascii("stream");
    private static final byte[] SYSTEM = ascii("system");
    private static final byte[] TOOLS = ascii("tools");
    private static final byte[][] FIELDS = {MODEL, MAX_TOKENS, MESSAGES, STREAM, SYSTEM, TOOLS};
    private static final int MAX_STRING_CHARS = 20_000_000; // Jackson's default limit on a decoded string value

    /** Scans a messages request; {@code requireMaxTokens} is false for count_tokens, which has no max_tokens. */
    public static MessagesRequestScan scan(byte[] body, boolean requireMaxTokens) throws InvalidRequestException {
        return new Scan(body).run(requireMaxTokens);
    }

    /** One scan's position and findings. */
    private static final class Scan {
        final byte[] body;
        final JsonSkipper j;
        String model;
        Span modelSpan;
        Span systemSpan;
        Span toolsSpan;
        Span messagesSpan;
        boolean stream;
        boolean sawMaxTokens;

        Scan(byte[] body) {
            this.body = body;
            this.j = new JsonSkipper(body);
        }

        MessagesRequestScan run(boolean requireMaxTokens) throws InvalidRequestException {
            if (body.length >= 4 && (body[0] & 0xFF) == 0xEF && (body[1] & 0xFF) == 0xBB && (body[2] & 0xFF) == 0xBF) {
                j.pos = 3; // a UTF-8 byte order mark, which Jackson skips; spans stay offsets into the whole array
            }
            int c = j.ws();
            if (c != '{') {
                if (c >= 0) {
                    j.token(c, true); // a malformed first token is a syntax error, a well-formed one the wrong type
                }
                throw new InvalidRequestException("request body must be a JSON object");
            }
            j.pos++;
            fields();
            j.pos++;
            c = j.ws();
            if (c >= 0) {
                j.token(c, true);
                throw new InvalidRequestException("request body has trailing data after the JSON object");
            }
            if (model == null) {
                throw new InvalidRequestException("model: Field required");
            }
            if (requireMaxTokens && !sawMaxTokens) {
                throw new InvalidRequestException("max_tokens: Field required");
            }
            if (messagesSpan == null) {
                throw new InvalidRequestException("messages: Field required");
            }
            return new MessagesRequestScan(model, stream, modelSpan, systemSpan, toolsSpan, messagesSpan);
        }

        /** The object's members, up to its closing brace. */
        private void fields() throws InvalidRequestException {
            int c = j.ws();
            if (c == '}') {
                return;
            }
            while (true) {
                int nameStart = j.pos + 1;
                c = j.fieldName(c);
                value(field(j, nameStart), c);
                c = j.ws();
                if (c == '}') {
                    return;
                }
                if (c != ',') {
                    throw c < 0
                            ? j.invalid("unexpected end of input: expected ',' or '}'")
                            : j.invalid("expected ',' or '}' after a field");
                }
                j.pos++;
                c = j.ws();
            }
        }

        /** The value of a member ({@code field} one of the constants, or null), whose first byte is {@code c}. */
        @SuppressWarnings("ReferenceEquality") // field is one of the name constants or null, so identity is the test
        private void value(byte[] field, int c) throws InvalidRequestException {
            int start = j.pos;
            if (field == MODEL) {
                model(c, start);
            } else if (field == MAX_TOKENS) {
                maxTokensValue(c, start);
            } else if (field == MESSAGES) {
                if (c != '[') {
                    typeError(j, c, "messages: Input should be a valid list");
                }
                j.skipContainer(1);
                messagesSpan = new Span(start, j.pos);
            } else if (field == STREAM) {
                if (c != 't' && c != 'f' && c != 'n') {
                    typeError(j, c, "stream: Input should be a valid boolean");
                }
                j.scalar(c, false);
                stream = c == 't';
            } else {
                j.skipValue(c, 1);
                if (field == SYSTEM) {
                    systemSpan = new Span(start, j.pos);
                } else if (field == TOOLS) {
                    toolsSpan = new Span(start, j.pos);
                }
            }
        }

        private void model(int c, int start) throws InvalidRequestException {
            if (c != '"') {
                typeError(j, c, "model: Input should be a valid string");
            }
            j.pos++;
            j.string(false);
            model = j.decode(start + 1, j.pos - 1, j.escaped);
            if (model.length() > MAX_STRING_CHARS) {
                throw JsonSkipper.unreadable("String value length (" + model.length()
                        + ") exceeds the maximum allowed (" + MAX_STRING_CHARS + ")");
            }
            if (model.isBlank()) {
                throw new InvalidRequestException("model: String should have at least 1 character");
            }
            modelSpan = new Span(start, j.pos);
        }

        private void maxTokensValue(int c, int start) throws InvalidRequestException {
            if (c != '-' && (c < '0' || c > '9')) {
                typeError(j, c, "max_tokens: Input should be a valid integer");
            }
            if (j.number(false) != JsonSkipper.INT) {
                throw new InvalidRequestException("max_tokens: Input should be a valid integer");
            }
            if (maxTokens(body, start, j.pos) < 0) {
                throw new InvalidRequestException("max_tokens: Input should be greater than or equal to 0");
            }
            sawMaxTokens = true;
        }
    }

    /**
     * A value of the wrong type: the error, once its first token has been read as a parser would (so a malformed one
     * is a syntax error instead).
     */
    private static void typeError(JsonSkipper j, int c, String message) throws InvalidRequestException {
        j.token(c, false);
        throw new InvalidRequestException(message);
    }

    /** Which of the fields of interest the name just read is (one of the constants, by identity), or null. */
    private static byte[] field(JsonSkipper j, int start) throws InvalidRequestException {
        int end = j.nameEnd;
        if (j.nameEscaped) { // rare: Jackson matched the decoded name, so "mod\u0065l" is model
            String name = j.decode(start, end, true);
            for (byte[] f : FIELDS) {
                if (name.equals(new String(f, StandardCharsets.US_ASCII))) {
                    return f;
                }
            }
            return null;
        }
        for (byte[] f : FIELDS) {
            if (Arrays.equals(j.b, start, end, f, 0, f.length)) {
                return f;
            }
        }
        return null;
    }

    /** The max_tokens integer {@code [start, end)}, as a long (Jackson's getLongValue, including its range error). */
    private static long maxTokens(byte[] body, int start, int end) throws InvalidRequestException {
        int len = end - start;
        if (len <= 18) { // cannot overflow
            long v = 0;
            boolean negative = body[start] == '-';
            for (int i = negative ? start + 1 : start; i < end; i++) {
                v = v * 10 + (body[i] - '0');
            }
            return negative ? -v : v;
        }
        String text = new String(body, start, len, StandardCharsets.US_ASCII);
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            String shown = len < 1000 ? text : "[Integer with " + (text.startsWith("-") ? len - 1 : len) + " digits]";
            throw JsonSkipper.unreadable("Numeric value (" + shown + ") out of range of long (" + Long.MIN_VALUE + " - "
                    + Long.MAX_VALUE + ")");
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
