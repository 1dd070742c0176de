package org.anthropicproxy.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.anthropicproxy.testkit.AnthropicAnswers;
import org.anthropicproxy.testkit.AnthropicEventRecorder;
import org.anthropicproxy.testkit.AnthropicStreamGrammar;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.OutcomeTally;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RawHttpExchange;
import org.anthropicproxy.testkit.RecordedRequest;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;

/**
 * Malformed requests (bodies, headers, raw HTTP) against running proxies with a passthrough and a translation
 * provider behind them, and garbage upstream streams through both. Every answer must be a 4xx Anthropic-shaped error
 * or a valid success: never a 5xx, a hang (every client wait is bounded) or a non-JSON body.
 *
 * <p>The translator on its own (random bytes into SseParser → StreamTranslator) is covered by
 * {@code provider.openai.StreamPropertiesTest#damagedInputNeverThrowsAndEndsValid}; here the same kind of garbage
 * goes through a running proxy, which also covers the passthrough {@code StreamRelay}.
 */
class FuzzIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final int MAX_BODY = 1_048_576;
    private static final OutcomeTally TALLY = new OutcomeTally("FuzzIT: inputs fuzzed and answers");
    private static final List<byte[]> VALID = validRequests();

    private static UpstreamSimulator anthropicSim;
    private static UpstreamSimulator openaiSim;
    private static UpstreamSimulator garbageAnthropic;
    private static UpstreamSimulator garbageOpenai;
    private static ProxyHarness passthrough;
    private static ProxyHarness translation;
    private static ProxyHarness garbagePassthrough;
    private static ProxyHarness garbageTranslation;
    private static HttpClient http;

    @BeforeContainer
    static void start() {
        anthropicSim = new UpstreamSimulator(FuzzIT::anthropicAnswer);
        openaiSim = new UpstreamSimulator(r -> r.json().path("stream").asBoolean()
                ? UpstreamScript.sse(Fixtures.text("openai/stream-text-include-usage.sse"))
                : UpstreamScript.json(200, Fixtures.text("openai/chat-completion-text.json")));
        garbageAnthropic = new UpstreamSimulator(FuzzIT::anthropicAnswer);
        garbageOpenai =
                new UpstreamSimulator(r -> UpstreamScript.sse(Fixtures.text("openai/stream-text-include-usage.sse")));
        String server = "server: {max_body_bytes: " + MAX_BODY + ", headers_timeout: 5s, idle_timeout: 5s}\n";
        passthrough = ProxyHarness.start(server + provider("anthropic", anthropicSim));
        translation = ProxyHarness.start(server + provider("openai", openaiSim));
        garbagePassthrough = ProxyHarness.start(server + provider("anthropic", garbageAnthropic));
        garbageTranslation = ProxyHarness.start(server + provider("openai", garbageOpenai));
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterContainer
    static void stop() {
        System.out.println(TALLY.table());
        for (AutoCloseable c : new AutoCloseable[] {
            passthrough,
            translation,
            garbagePassthrough,
            garbageTranslation,
            anthropicSim,
            openaiSim,
            garbageAnthropic,
            garbageOpenai
        }) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // teardown
            }
        }
    }

    private static String provider(String kind, UpstreamSimulator sim) {
        return "providers:\n  up: {kind: " + kind + ", base_url: \"" + sim.baseUrl() + "\", api_key: k}\nroute: [up]\n";
    }

    /** Answers whatever arrives, even bytes that are not JSON (the proxy passes unknown content through). */
    private static UpstreamScript anthropicAnswer(RecordedRequest r) {
        boolean stream;
        try {
            stream = r.json().path("stream").asBoolean();
        } catch (RuntimeException notJson) {
            stream = r.bodyText().replace(" ", "").contains("\"stream\":true");
        }
        if (r.path().endsWith("count_tokens")) {
            return UpstreamScript.json(200, "{\"input_tokens\":12}");
        }
        return stream
                ? UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse"))
                : UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json"));
    }

    // ---------------------------------------------------------------- bodies

    @Property(tries = 1500, shrinking = ShrinkingMode.OFF)
    void malformedBodiesGetA4xxErrorOrAValidAnswer(@ForAll("bodies") Input body, @ForAll("paths") String path)
            throws Exception {
        for (ProxyHarness proxy : List.of(passthrough, translation)) {
            String suite = "body/" + body.get1() + (proxy == passthrough ? " (pass)" : " (xlate)");
            HttpRequest req = HttpRequest.newBuilder(URI.create(proxy.baseUrl() + path))
                    .timeout(WAIT)
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body.get2()))
                    .build();
            // far over the limit too: the proxy reads and drops the rest after its 413, so the client sees the answer
            judge(suite, http.send(req, HttpResponse.BodyHandlers.ofByteArray()));
        }
    }

    @Provide
    Arbitrary<String> paths() {
        return Arbitraries.of(
                "/v1/messages", "/v1/messages", "/v1/messages?beta=true", "/messages", "/v1/messages/count_tokens");
    }

    @Provide
    Arbitrary<Input> bodies() {
        return Arbitraries.frequencyOf(
                Tuple.of(
                        2,
                        tagged(
                                "random-bytes",
                                Arbitraries.bytes().array(byte[].class).ofMaxSize(2000))),
                Tuple.of(3, tagged("truncated", truncated())),
                Tuple.of(3, tagged("mutated", mutated())),
                Tuple.of(4, tagged("wrong-types", wrongTypes())),
                Tuple.of(4, tagged("odd-messages", oddMessages())),
                Tuple.of(1, tagged("deep-nesting", deepNesting())),
                Tuple.of(1, tagged("huge-strings", hugeStrings())),
                Tuple.of(2, tagged("invalid-utf8", invalidUtf8())));
    }

    private static Arbitrary<Input> tagged(String tag, Arbitrary<byte[]> a) {
        return a.map(b -> new Input(tag, b));
    }

    /** A fuzzed input with its kind; printed short when a property fails. */
    record Input(String get1, byte[] get2) {
        @Override
        public String toString() {
            String s = new String(get2, 0, Math.min(get2.length, 300), StandardCharsets.ISO_8859_1);
            return get1 + " (" + get2.length + " bytes): "
                    + s.replace("\r", "\\r").replace("\n", "\\n");
        }
    }

    private static Arbitrary<byte[]> truncated() {
        return Arbitraries.of(VALID)
                .flatMap(b -> Arbitraries.integers().between(0, b.length - 1).map(n -> Arrays.copyOf(b, n)));
    }

    private static Arbitrary<byte[]> mutated() {
        return Arbitraries.of(VALID)
                .flatMap(b -> Combinators.combine(
                                Arbitraries.integers().between(0, b.length - 1),
                                Arbitraries.bytes(),
                                Arbitraries.integers().between(1, 6))
                        .as((pos, val, n) -> {
                            byte[] c = b.clone();
                            for (int i = 0; i < n && pos + i < c.length; i++) {
                                c[pos + i] = (byte) (val + i * 37);
                            }
                            return c;
                        }));
    }

    private static final List<String> ODD_VALUES = List.of(
            "null",
            "true",
            "false",
            "0",
            "-1",
            "1.5",
            "1e400",
            "-9223372036854775809",
            "99999999999999999999",
            "\"\"",
            "\" \"",
            "\"x\"",
            "[]",
            "[1]",
            "{}",
            "{\"a\":1}",
            "[[]]",
            "\"\\u0000\"",
            "\"\\ud800\"");

    private static Arbitrary<byte[]> wrongTypes() {
        Arbitrary<String> model =
                Arbitraries.oneOf(Arbitraries.of("\"claude-sonnet-4-5\"", "MISSING"), Arbitraries.of(ODD_VALUES));
        Arbitrary<String> maxTokens =
                Arbitraries.oneOf(Arbitraries.of("16", "MISSING", "0"), Arbitraries.of(ODD_VALUES));
        Arbitrary<String> messages = Arbitraries.oneOf(
                Arbitraries.of("[{\"role\":\"user\",\"content\":\"hi\"}]", "MISSING"), Arbitraries.of(ODD_VALUES));
        Arbitrary<String> stream =
                Arbitraries.oneOf(Arbitraries.of("true", "false", "MISSING"), Arbitraries.of(ODD_VALUES));
        Arbitrary<String> extra = Arbitraries.of(
                "MISSING",
                "\"system\":" + "\"s\"",
                "\"system\":7",
                "\"system\":[1,null]",
                "\"tools\":7",
                "\"tools\":[{}]",
                "\"tool_choice\":\"x\"",
                "\"thinking\":[]",
                "\"stop_sequences\":\"x\"",
                "\"temperature\":\"hot\"",
                "\"metadata\":1",
                "\"model\":\"dup\"");
        return Combinators.combine(
                        model,
                        maxTokens,
                        messages,
                        stream,
                        extra,
                        Arbitraries.integers().between(0, 23))
                .as((m, t, ms, s, x, order) -> {
                    List<String> fields = new ArrayList<>();
                    if (!m.equals("MISSING")) fields.add("\"model\":" + m);
                    if (!t.equals("MISSING")) fields.add("\"max_tokens\":" + t);
                    if (!ms.equals("MISSING")) fields.add("\"messages\":" + ms);
                    if (!s.equals("MISSING")) fields.add("\"stream\":" + s);
                    if (!x.equals("MISSING")) fields.add(x);
                    Collections.rotate(fields, order);
                    return ("{" + String.join(",", fields) + "}").getBytes(StandardCharsets.UTF_8);
                });
    }

    /** Well-formed top level, strange messages: aimed at the translation's request mapper. */
    private static Arbitrary<byte[]> oddMessages() {
        Arbitrary<String> role =
                Arbitraries.of("\"user\"", "\"assistant\"", "\"system\"", "\"tool\"", "\"\"", "7", "null");
        Arbitrary<String> block = Arbitraries.of(
                "{\"type\":\"text\",\"text\":\"hi\"}",
                "{\"type\":\"text\"}",
                "{\"type\":\"text\",\"text\":7}",
                "{\"type\":\"image\"}",
                "{\"type\":\"image\",\"source\":{\"type\":\"base64\"}}",
                "{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":7}}",
                "{\"type\":\"image\",\"source\":\"x\"}",
                "{\"type\":\"tool_use\"}",
                "{\"type\":\"tool_use\",\"id\":1,\"name\":[],\"input\":\"x\"}",
                "{\"type\":\"tool_result\"}",
                "{\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"content\":[1,{}]}",
                "{\"type\":\"tool_result\",\"tool_use_id\":null,\"content\":{\"a\":1}}",
                "{\"type\":\"thinking\"}",
                "{\"type\":\"thinking\",\"thinking\":5,\"signature\":[]}",
                "{\"type\":\"redacted_thinking\"}",
                "{\"type\":\"document\"}",
                "{\"type\":\"unknown_kind\"}",
                "{}",
                "[]",
                "7",
                "null",
                "\"s\"",
                "{\"type\":null}",
                "{\"type\":5}");
        Arbitrary<String> content = Arbitraries.oneOf(
                Arbitraries.of("\"hi\"", "\"\"", "null", "7", "{}", "true"),
                block.list().ofMaxSize(4).map(l -> "[" + String.join(",", l) + "]"));
        Arbitrary<String> message = Arbitraries.oneOf(
                Combinators.combine(role, content).as((r, c) -> "{\"role\":" + r + ",\"content\":" + c + "}"),
                Arbitraries.of("{}", "7", "null", "[]", "\"m\"", "{\"role\":\"user\"}", "{\"content\":\"x\"}"));
        Arbitrary<String> tools = Arbitraries.of(
                "",
                ",\"tools\":[{\"name\":\"t\",\"input_schema\":{\"type\":\"object\"}}]",
                ",\"tools\":[{\"name\":7}]",
                ",\"tools\":[{\"input_schema\":[]}]",
                ",\"tools\":[null]",
                ",\"tools\":{}",
                ",\"tool_choice\":{\"type\":\"tool\"}",
                ",\"tool_choice\":{\"type\":\"any\"}",
                ",\"tool_choice\":7",
                ",\"system\":[{\"type\":\"text\"}]",
                ",\"system\":[7]",
                ",\"system\":{}",
                ",\"thinking\":{\"type\":\"enabled\"}",
                ",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":\"x\"}",
                ",\"stop_sequences\":[1,null]",
                ",\"stop_sequences\":{}",
                ",\"metadata\":{\"user_id\":7}",
                ",\"temperature\":\"x\"",
                ",\"top_p\":[]",
                ",\"top_k\":{}",
                ",\"output_format\":7");
        return Combinators.combine(message.list().ofMaxSize(4), tools, Arbitraries.of("true", "false"))
                .as((ms, t, s) -> ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16,\"stream\":" + s
                                + ",\"messages\":[" + String.join(",", ms) + "]" + t + "}")
                        .getBytes(StandardCharsets.UTF_8));
    }

    private static Arbitrary<byte[]> deepNesting() {
        return Combinators.combine(
                        Arbitraries.integers().between(10, 20_000),
                        Arbitraries.of("[", "{\"a\":"),
                        Arbitraries.of("messages", "metadata", "top", "content"))
                .as((depth, open, where) -> {
                    String close = open.equals("[") ? "]" : "}";
                    String nest = open.repeat(depth) + "1" + close.repeat(depth);
                    String s = switch (where) {
                        case "messages" -> "{\"model\":\"m\",\"max_tokens\":5,\"messages\":" + nest + "}";
                        case "metadata" ->
                            "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[],\"metadata\":" + nest + "}";
                        case "content" ->
                            "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":" + nest
                                    + "}]}";
                        default -> nest;
                    };
                    return s.getBytes(StandardCharsets.UTF_8);
                });
    }

    private static Arbitrary<byte[]> hugeStrings() {
        return Combinators.combine(
                        Arbitraries.integers().between(60_000, 1_300_000),
                        Arbitraries.of("model", "content", "unknown", "system"),
                        Arbitraries.of('a', 'é', '"', '\\', '\u4e2d'))
                .as((n, where, ch) -> {
                    String big = ch == '"'
                            ? "\\\"".repeat(n / 2)
                            : ch == '\\'
                                    ? "\\\\".repeat(n / 2)
                                    : String.valueOf(ch).repeat(n);
                    String s = switch (where) {
                        case "model" -> "{\"model\":\"" + big + "\",\"max_tokens\":5,\"messages\":[]}";
                        case "content" ->
                            "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"" + big
                                    + "\"}]}";
                        case "system" ->
                            "{\"model\":\"m\",\"max_tokens\":5,\"system\":\"" + big
                                    + "\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
                        default ->
                            "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[],\"x_"
                                    + big.substring(0, Math.min(big.length(), 1000)) + "\":\"" + big + "\"}";
                    };
                    return s.getBytes(StandardCharsets.UTF_8);
                });
    }

    private static final byte[][] BAD_UTF8 = {
        {(byte) 0xC3, 0x28},
        {(byte) 0xFF},
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
        {(byte) 0xE2, (byte) 0x82},
        {(byte) 0xC0, (byte) 0xAF},
        {0}
    };

    private static Arbitrary<byte[]> invalidUtf8() {
        return Combinators.combine(
                        Arbitraries.of(VALID),
                        Arbitraries.integers().between(0, BAD_UTF8.length - 1),
                        Arbitraries.doubles().between(0, 1))
                .as((b, which, where) -> {
                    // inside a string value when possible: after an opening quote of a value
                    String s = new String(b, StandardCharsets.UTF_8);
                    List<Integer> quotes = new ArrayList<>();
                    for (int i = s.indexOf(":\""); i >= 0; i = s.indexOf(":\"", i + 1)) {
                        quotes.add(i + 2);
                    }
                    int at = quotes.isEmpty()
                            ? (int) (where * b.length)
                            : quotes.get((int) (where * (quotes.size() - 1)));
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    out.write(b, 0, at);
                    out.writeBytes(BAD_UTF8[which]);
                    out.write(b, at, b.length - at);
                    return out.toByteArray();
                });
    }

    // ---------------------------------------------------------------- headers

    @Property(tries = 400, shrinking = ShrinkingMode.OFF)
    void oddHeadersGetA4xxErrorOrAValidAnswer(
            @ForAll("contentTypes") String contentType,
            @ForAll("extraHeaders") List<String> extra,
            @ForAll("validBody") byte[] body)
            throws Exception {
        for (ProxyHarness proxy : List.of(passthrough, translation)) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/v1/messages"))
                    .timeout(WAIT)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (!contentType.isEmpty()) {
                b.header("content-type", contentType);
            }
            for (String h : extra) {
                String[] kv = h.split(": ", 2);
                b.header(kv[0], kv[1]);
            }
            judge(
                    "headers" + (proxy == passthrough ? " (pass)" : " (xlate)"),
                    http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray()));
        }
    }

    @Provide
    Arbitrary<byte[]> validBody() {
        return Arbitraries.of(VALID);
    }

    @Provide
    Arbitrary<String> contentTypes() {
        return Arbitraries.of(
                "",
                "application/json",
                "text/plain",
                "application/json; charset=utf-16",
                "application/json; charset=iso-8859-1",
                "multipart/form-data; boundary=xyz",
                "application/x-www-form-urlencoded",
                "application/json;;;",
                "*/*",
                "application/xml",
                "text/event-stream",
                "application/json; boundary=\"" + "x".repeat(300) + "\"",
                "APPLICATION/JSON",
                "application/octet-stream");
    }

    @Provide
    Arbitrary<List<String>> extraHeaders() {
        return Arbitraries.of(
                        "anthropic-version: 1999-01-01",
                        "anthropic-version: ",
                        "anthropic-beta: a,,b,\u00e9",
                        "anthropic-beta: " + "x,".repeat(2000),
                        "content-encoding: gzip",
                        "content-encoding: br",
                        "content-encoding: x-garbage",
                        "accept: text/html",
                        "accept: application/xml",
                        "accept-encoding: gzip, deflate, br",
                        "x-api-key: ",
                        "x-api-key: nope",
                        "authorization: Basic Zm9vOmJhcg==",
                        "authorization: Bearer",
                        "x-stainless-retry-count: -1",
                        "x-unknown: " + "y".repeat(8000),
                        "te: trailers",
                        "accept-charset: utf-16",
                        "x-forwarded-for: 10.0.0.1, ::1",
                        "anthropic-dangerous-direct-browser-access: true")
                .list()
                .ofMaxSize(4)
                .uniqueElements();
    }

    // ---------------------------------------------------------------- raw HTTP

    @Property(tries = 250, shrinking = ShrinkingMode.OFF)
    void rawHttpAbuseGetsA4xxErrorOrAValidAnswer(@ForAll("rawCases") Input c, @ForAll boolean translate)
            throws Exception {
        ProxyHarness proxy = translate ? translation : passthrough;
        RawHttpExchange.Answer a = RawHttpExchange.send(proxy.port(), c.get2(), true, WAIT);
        String suite = "raw/" + c.get1() + (translate ? " (xlate)" : " (pass)");
        assertThat(a.timedOut()).as("%s: no answer within %s", suite, WAIT).isFalse();
        if (a.status() < 0) {
            // the connection closed without a status line: acceptable only for bytes that are not HTTP at all
            TALLY.count(suite, "closed");
            assertThat(c.get1()).as("closed without an answer").isIn("not-http");
            return;
        }
        if (c.get1().equals("http-0.9")) {
            // Jetty answers the version it cannot speak with 505, the one 5xx allowed here (still Anthropic-shaped)
            TALLY.count(suite, a.status() + " " + AnthropicAnswers.errorType(a.header("content-type"), a.body()));
            assertThat(a.status()).isEqualTo(505);
            assertThat(AnthropicAnswers.errorType(a.header("content-type"), a.body()))
                    .isNotNull();
            return;
        }
        // the headers say who wrote an answer that is not Anthropic-shaped (Jetty's own, a handler's)
        assertThat(a.header("content-type"))
                .as("%s: content-type of %d %s", suite, a.status(), a.headers())
                .isNotNull();
        judge(suite, a.status(), a.header("content-type"), a.body());
    }

    @Provide
    Arbitrary<Input> rawCases() {
        Arbitrary<byte[]> body = Arbitraries.of(VALID);
        return Arbitraries.frequencyOf(
                Tuple.of(
                        2,
                        body.map(b -> raw(
                                "no-host",
                                "POST /v1/messages HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: "
                                        + b.length + "\r\n\r\n",
                                b))),
                Tuple.of(
                        2,
                        Arbitraries.integers()
                                .between(70_000, 300_000)
                                .map(n -> raw(
                                        "header-too-large",
                                        "POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-big: " + "a".repeat(n)
                                                + "\r\ncontent-length: 2\r\n\r\n",
                                        "{}".getBytes(StandardCharsets.UTF_8)))),
                Tuple.of(
                        2,
                        Arbitraries.integers()
                                .between(600, 3000)
                                .map(n -> raw(
                                        "many-headers",
                                        "POST /v1/messages HTTP/1.1\r\nhost: x\r\n"
                                                + "x-h: 0123456789012345678901234567890123456789012345678901234567890123456789\r\n"
                                                        .repeat(n)
                                                + "content-length: 2\r\n\r\n",
                                        "{}".getBytes(StandardCharsets.UTF_8)))),
                Tuple.of(
                        2,
                        body.map(b -> raw(
                                "header-no-colon",
                                "POST /v1/messages HTTP/1.1\r\nhost: x\r\nthis is not a header\r\ncontent-length: "
                                        + b.length + "\r\n\r\n",
                                b))),
                Tuple.of(
                        2,
                        body.map(b -> raw(
                                "bad-request-line",
                                "POST  /v1/messages  HTTP/1.1 extra\r\nhost: x\r\ncontent-length: " + b.length
                                        + "\r\n\r\n",
                                b))),
                Tuple.of(1, body.map(b -> raw("http-0.9", "GET /v1/messages\r\n\r\n", new byte[0]))),
                Tuple.of(
                        1,
                        body.map(b -> raw(
                                "unknown-method",
                                "BREW /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: " + b.length + "\r\n\r\n",
                                b))),
                Tuple.of(
                        1,
                        body.map(b -> raw(
                                "http-1.0",
                                "POST /v1/messages HTTP/1.0\r\ncontent-length: " + b.length + "\r\n\r\n",
                                b))),
                Tuple.of(
                        3,
                        Combinators.combine(body, Arbitraries.of("zz", "-5", "ffffffffffffffffff", "1;;;", " ", "0x10"))
                                .as((b, size) -> raw(
                                        "chunked-bad-size",
                                        "POST /v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n",
                                        (size + "\r\n" + new String(b, StandardCharsets.UTF_8) + "\r\n0\r\n\r\n")
                                                .getBytes(StandardCharsets.UTF_8)))),
                Tuple.of(
                        3,
                        body.map(b -> raw(
                                "chunked-short-then-eof",
                                "POST /v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n",
                                (Integer.toHexString(b.length + 500) + "\r\n" + new String(b, StandardCharsets.UTF_8))
                                        .getBytes(StandardCharsets.UTF_8)))),
                Tuple.of(
                        2,
                        body.map(b -> raw(
                                "chunked-no-terminator",
                                "POST /v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n",
                                (Integer.toHexString(b.length) + "\r\n" + new String(b, StandardCharsets.UTF_8)
                                                + "\r\n")
                                        .getBytes(StandardCharsets.UTF_8)))),
                Tuple.of(
                        2,
                        body.map(b -> raw(
                                "chunked-and-length",
                                "POST /v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n",
                                (Integer.toHexString(b.length) + "\r\n" + new String(b, StandardCharsets.UTF_8)
                                                + "\r\n0\r\n\r\n")
                                        .getBytes(StandardCharsets.UTF_8)))),
                Tuple.of(
                        3,
                        Combinators.combine(body, Arbitraries.integers().between(1, 5000))
                                .as((b, extra) -> raw(
                                        "length-too-long-eof",
                                        "POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: " + (b.length + extra)
                                                + "\r\n\r\n",
                                        b))),
                Tuple.of(
                        2,
                        Combinators.combine(body, Arbitraries.integers().between(1, 40))
                                .as((b, cut) -> raw(
                                        "length-too-short",
                                        "POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: "
                                                + Math.max(0, b.length - cut) + "\r\n\r\n",
                                        b))),
                Tuple.of(
                        2,
                        Arbitraries.of("abc", "-1", "1e3", "99999999999999999999999", "12, 13", "")
                                .map(v -> raw(
                                        "length-not-a-number",
                                        "POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: " + v + "\r\n\r\n",
                                        "{}".getBytes(StandardCharsets.UTF_8)))),
                Tuple.of(
                        1,
                        Arbitraries.of("2000000", "9223372036854775807")
                                .map(v -> raw(
                                        "length-over-limit",
                                        "POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: " + v + "\r\n\r\n",
                                        "{}".getBytes(StandardCharsets.UTF_8)))),
                Tuple.of(
                        1,
                        body.map(b -> raw(
                                "expect-continue",
                                "POST /v1/messages HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: "
                                        + b.length + "\r\n\r\n",
                                b))),
                Tuple.of(
                        2,
                        Arbitraries.of("\u0000", "\u007f", "\u00ff\u00fe", "a\rb")
                                .map(v -> raw(
                                        "control-in-header",
                                        "POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-bad: " + v
                                                + "\r\ncontent-length: 2\r\n\r\n",
                                        "{}".getBytes(StandardCharsets.UTF_8)))),
                Tuple.of(
                        1,
                        Arbitraries.bytes()
                                .array(byte[].class)
                                .ofMinSize(1)
                                .ofMaxSize(500)
                                .map(b -> new Input("not-http", b))));
    }

    private static Input raw(String tag, String head, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(body);
        return new Input(tag, out.toByteArray());
    }

    // ---------------------------------------------------------------- garbage upstream streams

    @Property(tries = 400, shrinking = ShrinkingMode.OFF)
    void garbageUpstreamStreamsEndWithMessageStopOrAnErrorEvent(
            @ForAll("upstreamGarbage") byte[] stream, @ForAll("splits") int[] splits) throws Exception {
        List<byte[]> parts = split(stream, splits);
        garbageAnthropic.enqueue(new UpstreamScript(
                200, Map.of("content-type", "text/event-stream"), parts, Duration.ZERO, false, Duration.ZERO));
        HttpResponse<byte[]> r = post(
                garbagePassthrough,
                "{\"model\":\"m\",\"max_tokens\":5,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        String suite = "upstream-garbage (pass)";
        if (r.statusCode() != 200) {
            judge(suite, r);
            return;
        }
        TALLY.count(suite, "200 " + AnthropicAnswers.lastEvent(r.body()));
        // the relay copies upstream events untouched, so only the ending is the proxy's: whole events, and either the
        // upstream's own message_stop/error or an error event the proxy added
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        String text = new String(r.body(), StandardCharsets.UTF_8);
        assertThat(text).as("ends on an event boundary").endsWith("\n\n");
        assertThat(AnthropicAnswers.lastEvent(r.body())).as(text).isIn("message_stop", "error");
    }

    @Property(tries = 400, shrinking = ShrinkingMode.OFF)
    void garbageOpenAiStreamsTranslateToAValidEventSequence(
            @ForAll("openaiGarbage") byte[] stream, @ForAll("splits") int[] splits) throws Exception {
        garbageOpenai.enqueue(new UpstreamScript(
                200,
                Map.of("content-type", "text/event-stream"),
                split(stream, splits),
                Duration.ZERO,
                false,
                Duration.ZERO));
        HttpResponse<byte[]> r = post(
                garbageTranslation,
                "{\"model\":\"m\",\"max_tokens\":5,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        String suite = "upstream-garbage (xlate)";
        assertThat(r.statusCode())
                .as(new String(r.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
        TALLY.count(suite, "200 " + AnthropicAnswers.lastEvent(r.body()));
        AnthropicStreamGrammar.strict().assertValid(AnthropicEventRecorder.parseSse(r.body()));
        assertThat(AnthropicAnswers.lastEvent(r.body())).isIn("message_stop", "error");
    }

    @Provide
    Arbitrary<byte[]> upstreamGarbage() {
        return garbageOf(
                Fixtures.list("anthropic", ".sse"),
                "event: data: {}[]\"\n:,message_stop content_block_delta error type index");
    }

    @Provide
    Arbitrary<byte[]> openaiGarbage() {
        return garbageOf(
                Fixtures.list("openai", ".sse"), "data: {}[]\"\n:,DONE choices delta tool_calls index content error");
    }

    private static Arbitrary<byte[]> garbageOf(List<String> fixtures, String alphabet) {
        List<byte[]> streams = fixtures.stream().map(Fixtures::bytes).toList();
        Arbitrary<byte[]> truncated = Arbitraries.of(streams)
                .flatMap(b -> Arbitraries.integers().between(0, b.length).map(n -> Arrays.copyOf(b, n)));
        Arbitrary<byte[]> mutated = Arbitraries.of(streams)
                .flatMap(b -> Combinators.combine(
                                Arbitraries.integers().between(0, b.length - 1),
                                Arbitraries.bytes(),
                                Arbitraries.integers().between(1, 8))
                        .as((pos, val, n) -> {
                            byte[] c = b.clone();
                            for (int i = 0; i < n && pos + i < c.length; i++) {
                                c[pos + i] = (byte) (val + i * 31);
                            }
                            return c;
                        }));
        Arbitrary<byte[]> sseish =
                Arbitraries.strings().withChars(alphabet).ofMaxLength(600).map(s -> s.getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(600);
        return Arbitraries.oneOf(truncated, mutated, sseish, random);
    }

    @Provide
    Arbitrary<int[]> splits() {
        return Arbitraries.integers()
                .between(1, 3000)
                .array(int[].class)
                .ofMaxSize(6)
                .map(a -> Arrays.stream(a).sorted().distinct().toArray());
    }

    private static List<byte[]> split(byte[] b, int[] at) {
        List<byte[]> parts = new ArrayList<>();
        int from = 0;
        for (int i : at) {
            if (i > from && i < b.length) {
                parts.add(Arrays.copyOfRange(b, from, i));
                from = i;
            }
        }
        parts.add(Arrays.copyOfRange(b, from, b.length));
        return parts;
    }

    // ---------------------------------------------------------------- judging

    private static HttpResponse<byte[]> post(ProxyHarness proxy, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/v1/messages"))
                .timeout(WAIT)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void judge(String suite, HttpResponse<byte[]> r) {
        judge(suite, r.statusCode(), r.headers().firstValue("content-type").orElse(null), r.body());
    }

    private static void judge(String suite, int status, String contentType, byte[] body) {
        String shown = new String(body, 0, Math.min(body.length, 600), StandardCharsets.UTF_8);
        if (status >= 200 && status < 300) {
            TALLY.count(suite, String.valueOf(status));
            assertThat(AnthropicAnswers.successViolation(contentType, body))
                    .as("%s: %s", suite, shown)
                    .isNull();
            return;
        }
        String type = AnthropicAnswers.errorType(contentType, body);
        TALLY.count(suite, status + " " + type);
        assertThat(status).as("%s: status of %s", suite, shown).isBetween(400, 499);
        assertThat(type)
                .as("%s: Anthropic-shaped JSON error (%s) but got %s", suite, contentType, shown)
                .isNotNull();
    }

    private static List<byte[]> validRequests() {
        List<String> s = new ArrayList<>();
        s.add(
                "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");
        s.add(
                "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");
        s.add(
                "{\"model\":\"claude-opus-4-1\",\"max_tokens\":64,\"system\":\"be brief\",\"stream\":false,\"messages\":[{\"role\":\"user\","
                        + "\"content\":[{\"type\":\"text\",\"text\":\"what is in the image?\"},{\"type\":\"image\",\"source\":{\"type\":\"base64\","
                        + "\"media_type\":\"image/png\",\"data\":\"iVBORw0KGgo=\"}}]}]}");
        s.add(
                "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":32,\"stream\":true,\"tools\":[{\"name\":\"get_weather\",\"description\":\"w\","
                        + "\"input_schema\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}],\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"weather?\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\","
                        + "\"input\":{\"city\":\"SF\"}}]},{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":\"sunny\"}]}]}");
        s.add(Fixtures.text("synthetic/anthropic-request-claude-code-like.json"));
        return s.stream().map(x -> x.getBytes(StandardCharsets.UTF_8)).toList();
    }

    @Example
    void theSeedRequestsAreValid() throws Exception {
        for (byte[] b : VALID) {
            JsonNode j = JSON.readTree(b);
            assertThat(j.path("model").isTextual()).isTrue();
        }
    }
}
