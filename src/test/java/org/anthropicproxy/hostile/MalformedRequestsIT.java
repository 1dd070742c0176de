package org.anthropicproxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.RawHttpExchange;
import org.anthropicproxy.testkit.SocketUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Requests no well-behaved client sends get a JSON error at once and a closed connection, as nginx answers them:
 * targets that do not decode, transfer codings the proxy cannot decode (501), and the smuggling shapes (conflicting
 * or duplicate lengths, obs-fold, bare CR, NUL), plus the head limits. The connection never hangs, and the proxy
 * goes on serving.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MalformedRequestsIT {

    @TempDir
    static Path dir;

    static SocketUpstream upstream;
    static HostileProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        upstream = new SocketUpstream(c -> c.readRequest().write(Wire.answer("connection: close\r\n")));
        proxy = HostileProxy.start(dir, HostileProxy.config(upstream.baseUrl(), ""), "256m", 0);
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        upstream.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            target %zz            | GET /%zz HTTP/1.1\\r\\nhost: x\\r\\n\\r\\n                                      | 400
            target %              | GET /% HTTP/1.1\\r\\nhost: x\\r\\n\\r\\n                                        | 400
            target %00            | GET /health%00 HTTP/1.1\\r\\nhost: x\\r\\n\\r\\n                                | 400
            gzip, chunked         | POST /v1/messages HTTP/1.1\\r\\nhost: x\\r\\ntransfer-encoding: gzip, chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 501
            CL.TE                 | POST /v1/messages HTTP/1.1\\r\\nhost: x\\r\\ncontent-length: 5\\r\\ntransfer-encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 400
            TE.CL                 | POST /v1/messages HTTP/1.1\\r\\nhost: x\\r\\ntransfer-encoding: chunked\\r\\ncontent-length: 5\\r\\n\\r\\n0\\r\\n\\r\\n | 400
            conflicting lengths   | POST /v1/messages HTTP/1.1\\r\\nhost: x\\r\\ncontent-length: 2\\r\\ncontent-length: 3\\r\\n\\r\\nabc | 400
            chunked not last      | POST /v1/messages HTTP/1.1\\r\\nhost: x\\r\\ntransfer-encoding: chunked, identity\\r\\n\\r\\n0\\r\\n\\r\\n | 400
            obs-fold              | GET /health HTTP/1.1\\r\\nhost: x\\r\\nx-a: b\\r\\n c\\r\\n\\r\\n                   | 400
            bare CR               | GET /health HTTP/1.1\\r\\nhost: x\\r\\nx-a: b\\rc\\r\\n\\r\\n                      | 400
            NUL in a header       | GET /health HTTP/1.1\\r\\nhost: x\\r\\nx-a: b\\0c\\r\\n\\r\\n                      | 400
            """)
    void isAnsweredWithAJsonErrorAtOnceAndTheConnectionCloses(String name, String raw, int status) throws Exception {
        String request = raw.replace("\\r", "\r").replace("\\n", "\n").replace("\\0", "\0");
        try (Socket s = proxy.connect()) {
            s.setSoTimeout(2000); // at once: never the idle timeout
            s.getOutputStream().write(Wire.ascii(request));
            InputStream in = new BufferedInputStream(s.getInputStream());
            RawHttpExchange.Answer a = RawHttpExchange.read(in);
            assertThat(a.timedOut()).as(name + ": answered within 2 s").isFalse();
            assertThat(a.status()).as(name).isEqualTo(status);
            assertThat(a.bodyText())
                    .as(name)
                    .contains("\"type\":\"error\"")
                    .doesNotContain("Exception")
                    .doesNotContain("\tat ");
            assertThat(Wire.closedWithin(s, Duration.ofSeconds(3)))
                    .as(name + ": connection closed")
                    .isTrue();
        }
        assertServing();
    }

    @Test
    void headerAndTargetLimitsAreAnsweredAndTheConnectionCloses() throws Exception {
        String bigHeader = "GET /health HTTP/1.1\r\nhost: x\r\nx-big: " + "a".repeat(70 * 1024) + "\r\n\r\n";
        String longTarget = "GET /" + "a".repeat(70 * 1024) + " HTTP/1.1\r\nhost: x\r\n\r\n";
        assertRefused(bigHeader, 431);
        assertRefused(longTarget, 414, 431);
        assertServing();
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (Socket s = proxy.connect()) {
            OutputStream out = s.getOutputStream();
            out.write(Wire.ascii("GET /health HTTP/1.1\r\nhost: x\r\n\r\n"
                    + Wire.post(Wire.MESSAGE, "")
                    + "GET /nowhere HTTP/1.1\r\nhost: x\r\nx-api-key: " + HostileProxy.CLIENT_KEY + "\r\n\r\n"
                    + "GET / HTTP/1.1\r\nhost: x\r\n\r\n"));
            InputStream in = new BufferedInputStream(s.getInputStream());
            RawHttpExchange.Answer health = RawHttpExchange.read(in);
            RawHttpExchange.Answer message = RawHttpExchange.read(in);
            RawHttpExchange.Answer missing = RawHttpExchange.read(in);
            RawHttpExchange.Answer root = RawHttpExchange.read(in);
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.bodyText()).contains("\"status\":\"healthy\"");
            assertThat(message.status()).isEqualTo(200);
            assertThat(message.bodyText()).isEqualTo(Wire.ANSWER);
            assertThat(missing.status()).isEqualTo(404);
            assertThat(root.status()).isEqualTo(200);
            assertThat(root.bodyText()).contains("anthropic-proxy");
        }
    }

    private static void assertRefused(String request, int... statuses) throws Exception {
        try (Socket s = proxy.connect()) {
            s.setSoTimeout(2000);
            try {
                s.getOutputStream().write(Wire.ascii(request));
            } catch (java.io.IOException e) {
                // the proxy may answer and close before reading it all: read what it said
            }
            RawHttpExchange.Answer a = RawHttpExchange.read(new BufferedInputStream(s.getInputStream()));
            assertThat(a.status())
                    .isIn((Object[]) java.util.Arrays.stream(statuses).boxed().toArray(Integer[]::new));
            assertThat(Wire.closedWithin(s, Duration.ofSeconds(3))).isTrue();
        }
    }

    /** The proxy still answers a well-formed request afterwards. */
    private static void assertServing() throws Exception {
        RawHttpExchange.Answer a =
                RawHttpExchange.send(proxy.port(), Wire.post(Wire.MESSAGE, ""), false, Duration.ofSeconds(10));
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.bodyText()).isEqualTo(Wire.ANSWER);
    }
}
