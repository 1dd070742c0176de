package org.anthropicproxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.anthropicproxy.testkit.RawHttpExchange;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The lean server on its own, with a handler that echoes what it was sent, through raw sockets. */
@Timeout(30)
class Http1ServerTest {

    private Http1Server server;

    /** Answers "METHOD PATH QUERY len=N" plus the body, read blocking on a virtual thread; /stream answers in parts. */
    private static final Request.Handler ECHO = (request, response, callback) -> {
        Thread.ofVirtual().start(() -> {
            try {
                byte[] body = Content.Source.asInputStream(request).readAllBytes();
                String head = request.getMethod() + " " + request.getHttpURI().getPath() + " "
                        + request.getHttpURI().getQuery() + " len=" + body.length + "\n";
                if (request.getHttpURI().getPath().equals("/stream")) {
                    response.getHeaders().put("content-type", "text/event-stream");
                    for (int i = 0; i < 3; i++) {
                        org.eclipse.jetty.util.Blocker.Callback cb = org.eclipse.jetty.util.Blocker.callback();
                        response.write(
                                false, ByteBuffer.wrap(("part" + i + "\n").getBytes(StandardCharsets.UTF_8)), cb);
                        cb.block();
                        cb.close();
                    }
                    response.write(true, ByteBuffer.allocate(0), callback);
                    return;
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
                out.writeBytes(body);
                response.getHeaders().put("content-type", "text/plain");
                response.write(true, ByteBuffer.wrap(out.toByteArray()), callback);
            } catch (Throwable t) {
                callback.failed(t);
            }
        });
        return true;
    };

    @BeforeEach
    void start() throws IOException {
        server = new Http1Server("127.0.0.1", 0, ECHO, 64 * 1024, Duration.ofSeconds(10)).start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private RawHttpExchange.Answer send(String request) throws IOException {
        return RawHttpExchange.send(server.port(), request, true, Duration.ofSeconds(10));
    }

    @Test
    void aHeadLargerThanTheReadBufferIsParsed() throws IOException {
        String big = "y".repeat(30_000);
        RawHttpExchange.Answer a =
                send("POST /x?q=1 HTTP/1.1\r\nhost: h\r\nx-big: " + big + "\r\ncontent-length: 5\r\n\r\nhello");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.bodyText()).isEqualTo("POST /x q=1 len=5\nhello");
    }

    @Test
    void aHeadOverTheLimitGets431() throws IOException {
        RawHttpExchange.Answer a = send("GET / HTTP/1.1\r\nhost: h\r\nx-big: " + "y".repeat(70_000) + "\r\n\r\n");
        assertThat(a.status()).isEqualTo(431);
        assertThat(a.header("content-type")).isEqualTo("application/json");
        assertThat(a.bodyText()).contains("\"type\":\"error\"");
    }

    @Test
    void aChunkedBodyIsDecoded() throws IOException {
        RawHttpExchange.Answer a = send(
                "POST /c HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n");
        assertThat(a.bodyText()).isEqualTo("POST /c null len=5\nabcde");
    }

    @Test
    void aBodyLongerThanTheBufferArrivesWhole() throws IOException {
        String body = "z".repeat(100_000);
        RawHttpExchange.Answer a =
                send("POST /b HTTP/1.1\r\nhost: h\r\ncontent-length: " + body.length() + "\r\n\r\n" + body);
        assertThat(a.bodyText()).isEqualTo("POST /b null len=100000\n" + body);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", server.port()));
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /1 HTTP/1.1\r\nhost: h\r\ncontent-length: 1\r\n\r\na"
                            + "GET /2 HTTP/1.1\r\nhost: h\r\n\r\n"
                            + "POST /3 HTTP/1.1\r\nhost: h\r\ncontent-length: 2\r\n\r\nbc")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            assertThat(RawHttpExchange.read(in).bodyText()).isEqualTo("POST /1 null len=1\na");
            assertThat(RawHttpExchange.read(in).bodyText()).isEqualTo("GET /2 null len=0\n");
            assertThat(RawHttpExchange.read(in).bodyText()).isEqualTo("POST /3 null len=2\nbc");
        }
    }

    @Test
    void expectContinueGetsA100BeforeTheBodyIsSent() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", server.port()));
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("POST /e HTTP/1.1\r\nhost: h\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            assertThat(new String(in.readNBytes(25), StandardCharsets.ISO_8859_1))
                    .isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
            out.write("ok".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(RawHttpExchange.read(in).bodyText()).isEqualTo("POST /e null len=2\nok");
        }
    }

    @Test
    void aStreamedAnswerIsChunkedAndEnds() throws IOException {
        RawHttpExchange.Answer a = send("GET /stream HTTP/1.1\r\nhost: h\r\n\r\n");
        assertThat(a.header("transfer-encoding")).isEqualTo("chunked");
        assertThat(a.bodyText()).isEqualTo("part0\npart1\npart2\n");
    }

    @Test
    void headGetsTheHeadersWithoutTheBody() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", server.port()));
            s.setSoTimeout(10_000);
            s.getOutputStream()
                    .write(
                            "HEAD /h HTTP/1.1\r\nhost: h\r\n\r\nGET /after HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n"
                                    .getBytes(StandardCharsets.ISO_8859_1));
            byte[] all = s.getInputStream().readNBytes(4096);
            String text = new String(all, StandardCharsets.ISO_8859_1);
            // the HEAD answer says how long the body would be, and the next answer follows its headers directly
            assertThat(text).startsWith("HTTP/1.1 200 OK\r\n").containsIgnoringCase("content-length: 19\r\n");
            assertThat(text.substring(text.indexOf("\r\n\r\n") + 4))
                    .startsWith("HTTP/1.1 200 OK\r\n")
                    .endsWith("GET /after null len=0\n");
        }
    }

    @Test
    void http10ClosesAfterTheAnswer() throws IOException {
        RawHttpExchange.Answer a = send("GET /old HTTP/1.0\r\n\r\n");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.header("connection")).isEqualTo("close");
        assertThat(a.bodyText()).isEqualTo("GET /old null len=0\n");
    }

    @Test
    void bytesThatAreNotHttpGetA400OrAClose() throws IOException {
        RawHttpExchange.Answer a = send("\u0001\u0002garbage");
        assertThat(a.timedOut()).isFalse();
        if (a.status() > 0) {
            assertThat(a.status()).isEqualTo(400);
        }
        RawHttpExchange.Answer one = send("~");
        assertThat(one.timedOut()).isFalse();
    }

    @Test
    void aShortBodyFollowedByEndOfInputFailsTheRead() throws IOException {
        RawHttpExchange.Answer a = send("POST /short HTTP/1.1\r\nhost: h\r\ncontent-length: 50\r\n\r\nonly this");
        assertThat(a.timedOut()).isFalse();
        assertThat(a.status())
                .isEqualTo(400); // the echo handler fails on the cut body; the server answers for it, as the client's
        // fault
    }
}
