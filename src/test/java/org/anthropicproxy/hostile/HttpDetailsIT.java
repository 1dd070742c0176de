package org.anthropicproxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.RawHttpExchange;
import org.anthropicproxy.testkit.SocketUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP details a proxy must get right: headers a {@code Connection} header names are hop-by-hop and cross in
 * neither direction (RFC 9110 §7.6.1); {@code 100 Continue} only when the body will be read, never after the final
 * answer, and a body declared over the limit refused at once, before it is sent.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpDetailsIT {

    @TempDir
    static Path dir;

    static SocketUpstream upstream;
    static HostileProxy proxy;
    static final Map<String, String> seen = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        upstream = new SocketUpstream(c -> {
            c.readRequest();
            for (String h : new String[] {"x-hop-secret", "x-kept", "x-also-hop", "accept-encoding"}) {
                seen.put(h, String.valueOf(c.header(h)));
            }
            if (c.bodyText().contains("redirect me")) {
                c.write("HTTP/1.1 307 Temporary Redirect\r\nlocation: " + upstream.baseUrl() + "/elsewhere\r\n"
                        + "content-length: 0\r\nconnection: close\r\n\r\n");
                return;
            }
            c.write(Wire.answer("connection: x-up-hop, close\r\nx-up-hop: u1\r\nx-up-kept: k\r\n"));
        });
        proxy = HostileProxy.start(dir, HostileProxy.config(upstream.baseUrl(), "max_body_bytes: 1048576"), "256m", 0);
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        upstream.close();
    }

    @Test
    void headersNamedInConnectionCrossInNeitherDirection() throws Exception {
        RawHttpExchange.Answer a = RawHttpExchange.send(
                proxy.port(),
                Wire.post(
                        Wire.MESSAGE,
                        "connection: keep-alive, X-Hop-Secret\r\nx-hop-secret: s1\r\nx-kept: k1\r\nconnection: x-also-hop\r\nx-also-hop: s2\r\n"),
                false,
                Duration.ofSeconds(10));
        assertThat(a.status()).isEqualTo(200);
        assertThat(seen)
                .containsEntry("x-kept", "k1")
                .containsEntry("x-hop-secret", "null")
                .containsEntry("x-also-hop", "null");
        assertThat(a.headers()).containsEntry("x-up-kept", "k").doesNotContainKey("x-up-hop");
    }

    @Test
    void noCompressionIsAskedOfTheUpstreamSoNoneIsDecoded() throws Exception {
        RawHttpExchange.Answer a = RawHttpExchange.send(
                proxy.port(), Wire.post(Wire.MESSAGE, "accept-encoding: gzip, br\r\n"), false, Duration.ofSeconds(10));
        assertThat(a.status()).isEqualTo(200);
        assertThat(seen).containsEntry("accept-encoding", "null");
        assertThat(a.headers()).doesNotContainKey("content-encoding");
    }

    @Test
    void anUpstreamRedirectIsNotFollowed() throws Exception {
        int before = upstream.accepted();
        RawHttpExchange.Answer a = RawHttpExchange.send(
                proxy.port(),
                Wire.post(Wire.MESSAGE.replace("\"hi\"", "\"redirect me\""), ""),
                false,
                Duration.ofSeconds(10));
        assertThat(a.status()).isNotEqualTo(200);
        assertThat(a.bodyText()).contains("\"type\":\"error\"");
        assertThat(upstream.accepted() - before).as("requests the upstream saw").isEqualTo(1);
    }

    @Test
    void expectContinueGetsA100ThenTheAnswerWhenTheBodyIsRead() throws Exception {
        try (Socket s = proxy.connect()) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            String request = Wire.post(Wire.MESSAGE, "expect: 100-continue\r\n");
            int split = request.indexOf("\r\n\r\n") + 4;
            out.write(Wire.ascii(request.substring(0, split)));
            InputStream in = new BufferedInputStream(s.getInputStream());
            assertThat(RawHttpExchange.read(in).status())
                    .as("100 before the body is sent")
                    .isEqualTo(100);
            out.write(Wire.ascii(request.substring(split)));
            RawHttpExchange.Answer a = RawHttpExchange.read(in);
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.bodyText()).isEqualTo(Wire.ANSWER);
        }
    }

    @Test
    void aBodyDeclaredOverTheLimitIsRefusedAtOnceWithout100() throws Exception {
        try (Socket s = proxy.connect()) {
            s.setSoTimeout(3000);
            s.getOutputStream()
                    .write(
                            Wire.ascii(
                                    "POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: " + HostileProxy.CLIENT_KEY
                                            + "\r\ncontent-type: application/json\r\ncontent-length: 41943040\r\nexpect: 100-continue\r\n\r\n"));
            InputStream in = new BufferedInputStream(s.getInputStream());
            RawHttpExchange.Answer a = RawHttpExchange.read(in);
            assertThat(a.timedOut()).as("answered without the body").isFalse();
            assertThat(a.status()).as("the first answer is the final one").isEqualTo(413);
            assertThat(a.bodyText()).contains("request_too_large");
            assertThat(in.readAllBytes())
                    .as("nothing after the 413: the connection closes")
                    .isEmpty();
        }
    }

    @Test
    void anAnswerThatNeedsNoBodyIsNotFollowedByA100() throws Exception {
        for (String length : new String[] {"100", "5000000"}) {
            try (Socket s = proxy.connect()) {
                s.setSoTimeout(3000);
                s.getOutputStream()
                        .write(Wire.ascii("POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                                + "content-length: " + length + "\r\nexpect: 100-continue\r\n\r\n")); // no key: 401
                InputStream in = new BufferedInputStream(s.getInputStream());
                RawHttpExchange.Answer a = RawHttpExchange.read(in);
                assertThat(a.status()).as("length " + length).isEqualTo(401);
                assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1))
                        .as("length " + length + ": no 100 after the final answer; the connection closes")
                        .isEmpty();
            }
        }
    }
}
