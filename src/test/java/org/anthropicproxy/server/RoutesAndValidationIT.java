package org.anthropicproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RawHttpExchange;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoutesAndValidationIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static UpstreamSimulator upstream;
    private static ProxyHarness proxy;

    @BeforeAll
    static void start() {
        upstream = new UpstreamSimulator(r -> UpstreamScript.json(200, "{\"type\":\"message\",\"content\":[]}"));
        proxy = ProxyHarness.start("""
                server: {max_body_bytes: 4096}
                providers:
                  sim: {kind: anthropic, base_url: "%s", api_key: very-secret-upstream-key}
                route: [sim]
                """.formatted(upstream.baseUrl()));
    }

    @AfterAll
    static void stop() {
        proxy.close();
        upstream.close();
    }

    /** Whether /health, within a bound, counts a request in flight besides its own. */
    private static boolean anotherRequestInFlight() throws InterruptedException {
        return org.anthropicproxy.testkit.ThreadCensus.await(Duration.ofSeconds(5), () -> {
            try {
                return MAPPER.readTree(proxy.get("/health").body())
                                .path("in_flight")
                                .asInt()
                        >= 2;
            } catch (IOException e) {
                return false;
            }
        });
    }

    private static JsonNode error(HttpResponse<String> r, int status, String type) throws Exception {
        assertThat(r.statusCode()).isEqualTo(status);
        JsonNode n = MAPPER.readTree(r.body());
        assertThat(n.get("type").asText()).isEqualTo("error");
        assertThat(n.at("/error/type").asText()).isEqualTo(type);
        return n;
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "not json at all|request body is not valid JSON",
                "[1,2]|must be a JSON object",
                "{\"max_tokens\":1,\"messages\":[]}|model: Field required",
                "{\"model\":7,\"max_tokens\":1,\"messages\":[]}|model: Input should be a valid string",
                "{\"model\":\"m\",\"messages\":[]}|max_tokens: Field required",
                "{\"model\":\"m\",\"max_tokens\":\"10\",\"messages\":[]}|max_tokens: Input should be a valid integer",
                "{\"model\":\"m\",\"max_tokens\":10}|messages: Field required",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":{}}|messages: Input should be a valid list",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[],\"stream\":\"yes\"}|stream: Input should be a valid boolean",
                "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[]} trailing|not valid JSON",
            })
    void badRequestsAreAnthropicShaped400sNamingTheField(String body, String message) throws Exception {
        int before = upstream.received().size();
        JsonNode n = error(
                proxy.post("/v1/messages", body, "content-type", "application/json"), 400, "invalid_request_error");
        assertThat(n.at("/error/message").asText()).contains(message);
        assertThat(upstream.received()).hasSize(before);
    }

    @Test
    void oversizedBodyIs413() throws Exception {
        String big = "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\""
                + "x".repeat(5000) + "\"}]}";
        error(proxy.post("/v1/messages", big), 413, "request_too_large");
    }

    @ParameterizedTest
    @CsvSource({
        // within twice the limit the rest is read and dropped: the connection stays usable
        "/v1/messages, 6000, 413, false",
        // beyond it the connection is closed after the answer, and the answer says so
        "/v1/messages, 20000, 413, true",
        "/api/event_logging/batch, 2000, 200, false",
        "/api/event_logging/batch, 1100000, 200, true",
    })
    void anAnswerOnAConnectionThatWillCloseSaysSo(String path, int length, int status, boolean closes)
            throws Exception {
        try (Socket s = new Socket("127.0.0.1", proxy.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            String body = "{\"model\":\"m\",\"x\":\"" + "x".repeat(length - 18) + "\"}";
            out.write(("POST " + path + " HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\nContent-Length: "
                            + body.length() + "\r\n\r\n" + body + "GET /health HTTP/1.1\r\nHost: proxy\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            org.anthropicproxy.testkit.RawHttpExchange.Answer first =
                    org.anthropicproxy.testkit.RawHttpExchange.read(in);
            assertThat(first.status()).isEqualTo(status);
            assertThat("close".equalsIgnoreCase(first.header("connection")))
                    .as("connection: close")
                    .isEqualTo(closes);
            org.anthropicproxy.testkit.RawHttpExchange.Answer second =
                    org.anthropicproxy.testkit.RawHttpExchange.read(in);
            if (closes) {
                assertThat(second.status())
                        .as("nothing after an answer that said close")
                        .isEqualTo(-1);
            } else {
                assertThat(second.status())
                        .as("the kept-alive connection answers its next request")
                        .isEqualTo(200);
                assertThat(second.bodyText()).contains("healthy");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"/v1/messages, 413, request_too_large", "/nope, 404, not_found_error"})
    void aClientThatSendsAWholeBodyFarOverTheLimitBeforeReadingGetsItsAnswer(String path, int status, String type)
            throws Exception {
        // the proxy answers having read a part only, then reads and drops the rest (a lingering close): the client's
        // writes all complete and it reads the answer; a close with the rest unread would reset it mid-write instead
        int length =
                64 * 1024 * 1024; // more than the socket buffers of both ends hold: the writes need the proxy reading
        RawHttpExchange.Answer answer = Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (Socket s = new Socket("127.0.0.1", proxy.port())) {
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                out.write(("POST " + path
                                + " HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\nContent-Length: "
                                + length + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                byte[] chunk = new byte[64 * 1024];
                Arrays.fill(chunk, (byte) 'x');
                for (int sent = 0; sent < length; sent += chunk.length) {
                    out.write(chunk);
                }
                out.flush();
                return RawHttpExchange.read(s.getInputStream());
            }
        });
        assertThat(answer.status()).isEqualTo(status);
        assertThat(answer.header("connection")).isEqualToIgnoringCase("close");
        assertThat(answer.bodyText()).contains(type);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderWhereverTheirAnswersEnd() throws Exception {
        // the first answer ends on the upstream's I/O thread, the next two are answered on the spot, the fourth goes
        // upstream again: whichever thread ends an answer, the connection goes on with the next request in order
        String ok = "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String bad = "{\"model\":\"m\",\"messages\":[]}";
        StringBuilder pipeline = new StringBuilder();
        for (String[] r : new String[][] {
            {"POST", "/v1/messages", ok},
            {"GET", "/nope", null},
            {"POST", "/v1/messages", bad},
            {"POST", "/v1/messages", ok},
            {"GET", "/health", null}
        }) {
            pipeline.append(r[0]).append(' ').append(r[1]).append(" HTTP/1.1\r\nHost: proxy\r\n");
            if (r[2] != null) {
                pipeline.append("Content-Type: application/json\r\nContent-Length: ")
                        .append(r[2].length())
                        .append("\r\n\r\n")
                        .append(r[2]);
            } else {
                pipeline.append("\r\n");
            }
        }
        int before = upstream.received().size();
        try (Socket s = new Socket("127.0.0.1", proxy.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(pipeline.toString().getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            List<Integer> statuses = new ArrayList<>();
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                org.anthropicproxy.testkit.RawHttpExchange.Answer a =
                        org.anthropicproxy.testkit.RawHttpExchange.read(in);
                statuses.add(a.status());
                bodies.add(a.bodyText());
            }
            assertThat(statuses).containsExactly(200, 404, 400, 200, 200);
            assertThat(bodies.get(0)).isEqualTo(bodies.get(3)).contains("\"type\":\"message\"");
            assertThat(bodies.get(2)).contains("max_tokens: Field required");
            assertThat(bodies.get(4)).contains("healthy");
        }
        assertThat(upstream.received().size() - before).isEqualTo(2);
    }

    @Test
    void aBodyArrivingInPiecesIsForwardedWhole() throws Exception {
        // read on the I/O thread as the pieces come: each pause leaves the reader waiting for the selector
        String body = "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\""
                + "y".repeat(3000) + "\"}]}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", proxy.port())) {
            s.setSoTimeout(10_000);
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/messages HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\nContent-Length: "
                            + bytes.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            // the proxy has the request and waits for its body before any of it is sent
            assertThat(anotherRequestInFlight()).isTrue();
            int[] cuts = {0, 10, 1500, bytes.length - 1, bytes.length};
            for (int i = 0; i + 1 < cuts.length; i++) {
                out.write(bytes, cuts[i], cuts[i + 1] - cuts[i]);
                out.flush();
            }
            org.anthropicproxy.testkit.RawHttpExchange.Answer a =
                    org.anthropicproxy.testkit.RawHttpExchange.read(s.getInputStream());
            assertThat(a.status()).as(a.bodyText()).isEqualTo(200);
            assertThat(upstream.received().getLast().bodyText()).isEqualTo(body);
        }
    }

    @Test
    void aClientExpecting100ContinueGetsItThenItsAnswer() throws Exception {
        // curl sends large bodies this way: headers first, the body only after "100 Continue" (or a second's wait)
        String body = "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try (Socket s = new Socket("127.0.0.1", proxy.port())) {
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write(
                    ("POST /v1/messages HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                                    + "Content-Length: " + body.length() + "\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            org.anthropicproxy.testkit.RawHttpExchange.Answer interim =
                    org.anthropicproxy.testkit.RawHttpExchange.read(in);
            assertThat(interim.status())
                    .as("100 Continue before the body is sent")
                    .isEqualTo(100);
            out.write(body.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            org.anthropicproxy.testkit.RawHttpExchange.Answer answer =
                    org.anthropicproxy.testkit.RawHttpExchange.read(in);
            assertThat(answer.status()).as(answer.bodyText()).isEqualTo(200);
            assertThat(upstream.received().getLast().bodyText()).isEqualTo(body);
        }
    }

    @Test
    void aHeadAnswerKeepsTheConnectionUsable() throws Exception {
        try (Socket s = new Socket("127.0.0.1", proxy.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream()
                    .write("HEAD / HTTP/1.1\r\nHost: proxy\r\n\r\nGET /health HTTP/1.1\r\nHost: proxy\r\n\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            byte[] head = new byte[4096];
            int n = 0;
            String text = "";
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!text.contains("healthy") && System.nanoTime() < deadline) {
                int r = in.read(head, n, head.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
                text = new String(head, 0, n, StandardCharsets.ISO_8859_1);
            }
            assertThat(text).startsWith("HTTP/1.1 200");
            // the HEAD answer carries no body: the next bytes are the second status line
            int second = text.indexOf("HTTP/1.1 200", 1);
            assertThat(second).isPositive();
            assertThat(text.substring(0, second)).doesNotContain("anthropic-proxy\"");
            assertThat(text.substring(second)).contains("healthy");
        }
    }

    @Test
    void aBodyAnsweredWithoutBeingReadKeepsTheConnectionUsable() throws Exception {
        // the answer comes before the body is even sent; the body follows, then a second request on the connection
        try (Socket s = new Socket("127.0.0.1", proxy.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            String body = "{\"events\":[]}";
            out.write(("POST /api/event_logging/batch HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.length() + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            org.anthropicproxy.testkit.RawHttpExchange.Answer first =
                    org.anthropicproxy.testkit.RawHttpExchange.read(in);
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.header("connection")).isNull();
            // the body comes late: the request is over on the server's side unless it waits for it
            assertThat(anotherRequestInFlight())
                    .as("the answered request still waits for its body")
                    .isTrue();
            out.write((body + "GET /health HTTP/1.1\r\nHost: proxy\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            org.anthropicproxy.testkit.RawHttpExchange.Answer second =
                    org.anthropicproxy.testkit.RawHttpExchange.read(in);
            assertThat(second.status())
                    .as("the kept-alive connection answers its next request")
                    .isEqualTo(200);
            assertThat(second.bodyText()).contains("healthy");
        }
    }

    @Test
    void unknownFieldsPassThroughUntouched() {
        String body =
                "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"brand_new_block\",\"x\":1}]}],\"future_field\":{\"a\":[1,2]}}";
        HttpResponse<String> r = proxy.post("/v1/messages", body);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(upstream.last().bodyText()).isEqualTo(body);
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405() throws Exception {
        error(proxy.get("/v1/nothing-here"), 404, "not_found_error");
        HttpResponse<String> r = proxy.get("/v1/messages");
        error(r, 405, "not_found_error");
        assertThat(r.headers().firstValue("allow")).contains("POST");
    }

    @Test
    void claudeCodeProbesAndTelemetryAreAnswered() throws Exception {
        assertThat(proxy.request("HEAD", "/").statusCode()).isEqualTo(200);
        assertThat(proxy.get("/").statusCode()).isEqualTo(200);
        HttpResponse<String> t = proxy.post("/api/event_logging/batch", "{\"events\":[]}");
        assertThat(t.statusCode()).isEqualTo(200);
        assertThat(MAPPER.readTree(t.body()).get("success").asBoolean()).isTrue();
    }

    @Test
    void healthDescribesTheProviderButNeverTheSecret() throws Exception {
        HttpResponse<String> r = proxy.get("/health");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode h = MAPPER.readTree(r.body());
        assertThat(h.get("status").asText()).isEqualTo("healthy");
        assertThat(h.get("provider").asText()).isEqualTo("sim");
        assertThat(h.get("kind").asText()).isEqualTo("anthropic");
        assertThat(h.get("version").asText()).isNotBlank();
        assertThat(h.at("/providers/0/base_url").asText()).isEqualTo(upstream.baseUrl());
        assertThat(r.body()).doesNotContain("very-secret-upstream-key");
    }
}
