package org.anthropicproxy.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.anthropicproxy.json.MessagesRequestScan.Span;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The byte scanner against examples and, by property, against the Jackson scan it replaced
 * ({@link JacksonReferenceScan}) and Jackson's own strict {@code readTree}.
 */
class MessagesRequestScanTest {

    private static final ObjectReader STRICT =
            Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static MessagesRequestScan scan(String body) throws InvalidRequestException {
        return MessagesRequestScan.scan(utf8(body), true);
    }

    private static String slice(String body, Span span) {
        byte[] b = utf8(body);
        return new String(b, span.start(), span.end() - span.start(), StandardCharsets.UTF_8);
    }

    // ---- examples ----

    @Test
    void readsModelStreamAndSpans() throws Exception {
        String body = "{ \"system\" : \"be brief\" , \"model\":\"claude-x\",\"max_tokens\":1024,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}";
        MessagesRequestScan s = scan(body);
        assertThat(s.model()).isEqualTo("claude-x");
        assertThat(s.stream()).isTrue();
        assertThat(slice(body, s.modelSpan())).isEqualTo("\"claude-x\"");
        assertThat(slice(body, s.systemSpan())).isEqualTo("\"be brief\"");
    }

    @Test
    void systemSpanCoversArraysObjectsAndScalars() throws Exception {
        for (String system : new String[] {
            "[{\"type\":\"text\",\"text\":\"a\"}]", "{\"a\":[1,2]}", "-1.5e3", "null", "true", "\"x\\\"y\""
        }) {
            String body = "{\"model\":\"m\",\"system\":" + system + " ,\"max_tokens\":1,\"messages\":[]}";
            assertThat(slice(body, scan(body).systemSpan())).isEqualTo(system);
        }
        assertThat(scan("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}").systemSpan())
                .isNull();
    }

    @Test
    void toolsSpanCoversTheToolList() throws Exception {
        String tools =
                "[{\"name\":\"Read\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"string\"}}}}]";
        String body = "{\"model\":\"m\",\"tools\" : " + tools + " ,\"max_tokens\":1,\"messages\":[]}";
        assertThat(slice(body, scan(body).toolsSpan())).isEqualTo(tools);
        assertThat(scan("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}").toolsSpan())
                .isNull();
    }

    @Test
    void decodesEscapesInModelAndFieldNames() throws Exception {
        String body = "{\"mod\\u0065l\":\"a\\u00e9\\n\\\"b\\ud83d\\ude00\",\"max_tokens\":1,\"messages\":[]}";
        MessagesRequestScan s = scan(body);
        assertThat(s.model()).isEqualTo("aé\n\"b😀");
        assertThat(slice(body, s.modelSpan())).isEqualTo("\"a\\u00e9\\n\\\"b\\ud83d\\ude00\"");
        assertThat(scan("{\"model\":\"é中😀\",\"max_tokens\":1,\"messages\":[]}").model())
                .isEqualTo("é中😀");
    }

    @Test
    void lastDuplicateWins() throws Exception {
        String body =
                "{\"model\":\"a\",\"stream\":true,\"model\":\"bb\",\"stream\":null,\"max_tokens\":1,\"messages\":[]}";
        MessagesRequestScan s = scan(body);
        assertThat(s.model()).isEqualTo("bb");
        assertThat(s.stream()).isFalse();
        assertThat(slice(body, s.modelSpan())).isEqualTo("\"bb\"");
    }

    @Test
    void maxTokensIsOptionalForCountTokens() throws Exception {
        assertThat(MessagesRequestScan.scan(utf8("{\"model\":\"m\",\"messages\":[]}"), false)
                        .model())
                .isEqualTo("m");
    }

    @Test
    void utf8ByteOrderMarkIsSkippedAndSpansStayAbsolute() throws Exception {
        byte[] body = utf8("\uFEFF{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}");
        assertThat(MessagesRequestScan.scan(body, true).modelSpan()).isEqualTo(new Span(12, 15));
        assertThat(JacksonReferenceScan.scan(body, true).modelSpan()).isEqualTo(new Span(12, 15));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "not json at all|request body is not valid JSON",
                "''|request body must be a JSON object",
                "'  '|request body must be a JSON object",
                "[1,2]|request body must be a JSON object",
                "\"abc|request body must be a JSON object",
                "7|request body must be a JSON object",
                "7x|request body is not valid JSON",
                "truex|request body is not valid JSON",
                "]|request body is not valid JSON",
                "{\"max_tokens\":1,\"messages\":[]}|model: Field required",
                "{\"model\":7,\"max_tokens\":1,\"messages\":[]}|model: Input should be a valid string",
                "{\"model\":[,\"max_tokens\":1,\"messages\":[]}|model: Input should be a valid string",
                "{\"model\":tru,\"max_tokens\":1}|request body is not valid JSON",
                "{\"model\":\" \",\"max_tokens\":1,\"messages\":[]}|model: String should have at least 1 character",
                "{\"model\":\"m\",\"messages\":[]}|max_tokens: Field required",
                "{\"model\":\"m\",\"max_tokens\":\"10\",\"messages\":[]}|max_tokens: Input should be a valid integer",
                "{\"model\":\"m\",\"max_tokens\":1.5,\"messages\":[]}|max_tokens: Input should be a valid integer",
                "{\"model\":\"m\",\"max_tokens\":1e3,\"messages\":[]}|max_tokens: Input should be a valid integer",
                "{\"model\":\"m\",\"max_tokens\":1.,\"messages\":[]}|request body is not valid JSON",
                "{\"model\":\"m\",\"max_tokens\":01,\"messages\":[]}|request body is not valid JSON",
                "{\"model\":\"m\",\"max_tokens\":-1,\"messages\":[]}|max_tokens: Input should be greater than or equal to 0",
                "{\"model\":\"m\",\"max_tokens\":-1x|max_tokens: Input should be greater than or equal to 0",
                "{\"model\":\"m\",\"max_tokens\":99999999999999999999,\"messages\":[]}|request body could not be read: Numeric value",
                "{\"model\":\"m\",\"max_tokens\":10}|messages: Field required",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":{}}|messages: Input should be a valid list",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[],\"stream\":\"yes\"}|stream: Input should be a valid boolean",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[],\"stream\":1}|stream: Input should be a valid boolean",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[]} trailing|request body is not valid JSON",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[]} {}|request body has trailing data after the JSON object",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[]} 1 |request body has trailing data after the JSON object",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[]} 1}|request body is not valid JSON",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[1,]}|request body is not valid JSON",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[],}|request body is not valid JSON",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[\"\\x\"]}|request body is not valid JSON",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[\"\\u12g4\"]}|request body is not valid JSON",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[NaN]}|request body is not valid JSON",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[]/**/}|request body is not valid JSON",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[],\"\\ud800\":1}|request body is not valid JSON",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[]|request body is not valid JSON",
            })
    void errors(String body, String message) {
        assertThatThrownBy(() -> scan(body))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageStartingWith(message);
        assertThatThrownBy(() -> JacksonReferenceScan.scan(utf8(body), true)).hasMessageStartingWith(message);
    }

    @Test
    void rawControlCharactersAndBadUtf8InStringsAreInvalid() {
        for (byte[] bad : new byte[][] {
            {0x01},
            {(byte) 0xC3},
            {(byte) 0xC0, (byte) 0x80},
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            {(byte) 0x80},
            {(byte) 0xFF}
        }) {
            byte[] body = concat(utf8("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[\"a"), bad, utf8("\"]}"));
            assertThatThrownBy(() -> MessagesRequestScan.scan(body, true))
                    .hasMessageStartingWith("request body is not valid JSON");
        }
    }

    @Test
    void limitsMatchJacksonDefaults() throws Exception {
        String ok = "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[],\"x\":";
        // nesting: the root object is level 1, so 999 more levels are fine and 1000 are one too many
        scan(ok + "[".repeat(999) + "]".repeat(999) + "}");
        assertThatThrownBy(() -> scan(ok + "[".repeat(1000) + "]".repeat(1000) + "}"))
                .hasMessageStartingWith("request body could not be read: Document nesting depth (1001)");
        scan(ok + "1".repeat(1000) + "}");
        assertThatThrownBy(() -> scan(ok + "1".repeat(1001) + "}")).hasMessageContaining("Number value length (1001)");
        assertThatThrownBy(() -> scan(ok + "1".repeat(500) + "." + "1".repeat(500) + "e1}"))
                .hasMessageContaining("Number value length (1001)");
        String name = "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[],\"";
        scan(name + "a".repeat(50_000) + "\":1}");
        assertThatThrownBy(() -> scan(name + "a".repeat(49_999) + "é\":1}"))
                .hasMessageContaining("Name length (50001)");
        assertThatThrownBy(() -> scan(name + "a".repeat(49_998) + "\\ud83d\\ude00\":1}"))
                .hasMessageContaining("Name length (50002)");
        for (String body : new String[] {
            ok + "[".repeat(1000) + "]".repeat(1000) + "}",
            ok + "1".repeat(1001) + "}",
            name + "a".repeat(49_999) + "é\":1}"
        }) {
            assertThatThrownBy(() -> JacksonReferenceScan.scan(utf8(body), true))
                    .hasMessageStartingWith("request body could not be read");
        }
    }

    @Test
    void aLiteralMustNotRunIntoAnIdentifier() {
        assertThatThrownBy(() -> scan("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[],\"stream\":true1}"))
                .hasMessageStartingWith("request body is not valid JSON");
        assertThatThrownBy(() -> scan("{\"model\":\"m\",\"max_tokens\":truex}"))
                .hasMessageStartingWith("request body is not valid JSON");
        assertThatThrownBy(() -> scan("{\"model\":\"m\",\"max_tokens\":true]"))
                .hasMessage("max_tokens: Input should be a valid integer");
    }

    // ---- properties: the byte scanner agrees with Jackson ----

    /** Same outcome as the Jackson scan: the same fields and spans, or the same error (Jackson's wording aside). */
    @Property(tries = 4000)
    void agreesWithTheJacksonScan(@ForAll("bodies") byte[] body) {
        String mine = outcome(() -> describe(MessagesRequestScan.scan(body, true)));
        if (jacksonWouldNotReadUtf8(body)) {
            assertThat(mine).startsWith("error:");
            return;
        }
        String theirs = outcome(() -> describe(JacksonReferenceScan.scan(body, true)));
        assertThat(mine).as(show(body)).isEqualTo(theirs);
    }

    /** Any JSON value as an extra field: accepted exactly when Jackson's strict readTree accepts it. */
    @Property(tries = 3000)
    void validatesValuesLikeReadTree(@ForAll("values") byte[] value) {
        byte[] body = concat(utf8("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[],\"x\":"), value, utf8("}"));
        boolean mine =
                !outcome(() -> describe(MessagesRequestScan.scan(body, true))).startsWith("error:");
        boolean jackson;
        try {
            jackson = STRICT.readTree(body) != null;
        } catch (Exception e) {
            jackson = false;
        }
        assertThat(mine).as(show(body)).isEqualTo(jackson);
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        return Arbitraries.randomValue(r -> mutate(r, request(r)));
    }

    @Provide
    Arbitrary<byte[]> values() {
        return Arbitraries.randomValue(r -> mutate(r, utf8(value(r, 0))));
    }

    private interface Scan {
        String run() throws Exception;
    }

    /** The result, or the error reduced to what both scanners must agree on. */
    private static String outcome(Scan scan) {
        try {
            return scan.run();
        } catch (InvalidRequestException e) {
            String m = e.getMessage();
            for (String prefix : new String[] {"request body is not valid JSON", "request body could not be read"}) {
                if (m.startsWith(prefix)) {
                    return "error: " + prefix;
                }
            }
            return "error: " + m;
        } catch (Exception e) {
            return "unexpected " + e;
        }
    }

    private static String describe(MessagesRequestScan s) {
        return s.model() + "|" + s.stream() + "|" + s.modelSpan() + "|" + s.systemSpan() + "|" + s.toolsSpan();
    }

    private static String describe(JacksonReferenceScan s) {
        return s.model() + "|" + s.stream() + "|" + s.modelSpan() + "|" + s.systemSpan() + "|" + s.toolsSpan();
    }

    /** Jackson guesses UTF-16 or UTF-32 from zero bytes or a BOM at the start; the proxy only speaks UTF-8. */
    private static boolean jacksonWouldNotReadUtf8(byte[] b) {
        if (b.length >= 2 && (b[0] == 0 || b[1] == 0)) {
            return true;
        }
        return b.length >= 4
                && ((b[0] & 0xFF) == 0xFE && (b[1] & 0xFF) == 0xFF || (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xFE);
    }

    private static String show(byte[] body) {
        StringBuilder sb = new StringBuilder();
        for (byte x : body) {
            int c = x & 0xFF;
            sb.append(c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format("<%02x>", c));
        }
        return sb.toString();
    }

    // ---- generators ----

    private static final String[] FIELDS = {"model", "max_tokens", "messages", "stream", "system", "tools"};

    private static byte[] request(Random r) {
        List<String> fields = new ArrayList<>();
        for (String f : FIELDS) {
            if (r.nextInt(10) < 9) {
                fields.add(
                        ws(r) + string(r, f) + ws(r) + ":" + ws(r) + (r.nextInt(8) == 0 ? value(r, 1) : typical(r, f)));
            }
        }
        int extra = r.nextInt(4);
        for (int i = 0; i < extra; i++) {
            String name = r.nextInt(4) == 0 ? FIELDS[r.nextInt(FIELDS.length)] : randomString(r);
            fields.add(ws(r) + string(r, name) + ws(r) + ":" + ws(r) + value(r, 1));
        }
        Collections.shuffle(fields, r);
        String body =
                (r.nextInt(20) == 0 ? "\uFEFF" : "") + ws(r) + "{" + String.join(",", fields) + ws(r) + "}" + ws(r);
        return utf8(body);
    }

    private static String typical(Random r, String field) {
        return switch (field) {
            case "model" -> string(r, r.nextInt(10) == 0 ? " " : "claude-" + randomString(r));
            case "max_tokens" ->
                switch (r.nextInt(6)) {
                    case 0 -> "-" + r.nextInt(100);
                    case 1 -> "1.5";
                    case 2 -> "123456789012345678901";
                    default -> String.valueOf(r.nextInt(100_000));
                };
            case "stream" -> new String[] {"true", "false", "null"}[r.nextInt(3)];
            default -> array(r, 1);
        };
    }

    private static String value(Random r, int depth) {
        int k = r.nextInt(depth > 4 ? 4 : 7);
        return switch (k) {
            case 0 -> string(r, randomString(r));
            case 1 -> number(r);
            case 2 -> new String[] {"true", "false", "null"}[r.nextInt(3)];
            case 3 ->
                r.nextInt(40) == 0 ? "[".repeat(995 + r.nextInt(10)) + "]".repeat(995 + r.nextInt(10)) : string(r, "");
            case 4, 5 -> array(r, depth);
            default -> object(r, depth);
        };
    }

    private static String array(Random r, int depth) {
        int n = r.nextInt(4);
        StringBuilder sb = new StringBuilder("[").append(ws(r));
        for (int i = 0; i < n; i++) {
            sb.append(i > 0 ? "," + ws(r) : "").append(value(r, depth + 1)).append(ws(r));
        }
        return sb.append(']').toString();
    }

    private static String object(Random r, int depth) {
        int n = r.nextInt(4);
        StringBuilder sb = new StringBuilder("{").append(ws(r));
        for (int i = 0; i < n; i++) {
            sb.append(i > 0 ? "," + ws(r) : "")
                    .append(string(r, randomString(r)))
                    .append(ws(r))
                    .append(':')
                    .append(ws(r))
                    .append(value(r, depth + 1))
                    .append(ws(r));
        }
        return sb.append('}').toString();
    }

    private static String number(Random r) {
        StringBuilder sb = new StringBuilder();
        if (r.nextBoolean()) {
            sb.append('-');
        }
        int digits = r.nextInt(30) == 0 ? 995 + r.nextInt(10) : 1 + r.nextInt(r.nextInt(5) == 0 ? 25 : 4);
        sb.append(r.nextInt(3) == 0 ? "0" : (char) ('1' + r.nextInt(9)) + digits(r, digits - 1));
        if (r.nextInt(3) == 0) {
            sb.append('.').append(digits(r, 1 + r.nextInt(4)));
        }
        if (r.nextInt(4) == 0) {
            sb.append(r.nextBoolean() ? 'e' : 'E')
                    .append(new String[] {"", "+", "-"}[r.nextInt(3)])
                    .append(digits(r, 1 + r.nextInt(3)));
        }
        return sb.toString();
    }

    private static String digits(Random r, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append((char) ('0' + r.nextInt(10)));
        }
        return sb.toString();
    }

    private static final String[] PIECES = {
        "a", "b", "z", "0", " ", "é", "中", "😀", "\u0000", "\n", "\"", "\\", "/", "\u007f", "\u2028", "\uFFFF"
    };

    private static String randomString(Random r) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(8);
        for (int i = 0; i < n; i++) {
            sb.append(PIECES[r.nextInt(PIECES.length)]);
        }
        return sb.toString();
    }

    /** A JSON string literal for {@code s}, escaping what must be and, at random, other characters too. */
    private static String string(Random r, String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int how = r.nextInt(12);
            if (c == '"' || c == '\\' || c < 0x20 || how == 0) {
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append(r.nextBoolean() ? "\\n" : "\\u000A");
                    case '/' -> sb.append("\\/");
                    default -> sb.append(String.format(r.nextBoolean() ? "\\u%04x" : "\\u%04X", (int) c));
                }
            } else {
                sb.append(c);
            }
        }
        if (r.nextInt(30) == 0) { // lone or misordered surrogate escapes: fine in values, not in names
            sb.append(new String[] {"\\ud800", "\\udc00", "\\udc00\\ud800", "\\ud83d\\ude00"}[r.nextInt(4)]);
        }
        return sb.append('"').toString();
    }

    private static String ws(Random r) {
        if (r.nextInt(3) != 0) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
            sb.append(" \t\n\r".charAt(r.nextInt(4)));
        }
        return sb.toString();
    }

    private static final byte[] NOISE = utf8("{}[]\",:\\ 0123456789-+.eEtrufalsn/#\t\n\r\u0001\u0000x");

    /** Half the time the document as is; otherwise cut, with bytes inserted, dropped or replaced. */
    private static byte[] mutate(Random r, byte[] doc) {
        if (r.nextBoolean()) {
            return doc;
        }
        byte[] b = doc;
        int n = 1 + r.nextInt(3);
        for (int m = 0; m < n; m++) {
            if (b.length == 0) {
                break;
            }
            int at = r.nextInt(b.length);
            byte noise = r.nextInt(4) == 0 ? (byte) r.nextInt(256) : NOISE[r.nextInt(NOISE.length)];
            b = switch (r.nextInt(4)) {
                case 0 -> Arrays.copyOf(b, at);
                case 1 -> concat(Arrays.copyOf(b, at), new byte[] {noise}, Arrays.copyOfRange(b, at, b.length));
                case 2 -> concat(Arrays.copyOf(b, at), Arrays.copyOfRange(b, at + 1, b.length));
                default -> {
                    byte[] c = b.clone();
                    c[at] = noise;
                    yield c;
                }
            };
        }
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
