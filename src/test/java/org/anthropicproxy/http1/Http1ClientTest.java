package org.anthropicproxy.http1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The lean client against a scripted upstream on a raw server socket: the bytes on the wire, both ways. */
@Timeout(30)
class Http1ClientTest {

    private final Http1Client client =
            new Http1Client("test-upstream-io", Duration.ofSeconds(2), Duration.ofSeconds(30), 64 * 1024, null);
    private ServerSocket server;
    private final AtomicInteger accepted = new AtomicInteger();
    private final BlockingQueue<String> requestHeads = new LinkedBlockingQueue<>();
    private final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);

    @AfterEach
    void close() throws IOException {
        release.countDown();
        client.close();
        if (server != null) {
            server.close();
        }
    }

    /** Serves every connection with {@code answer}: called per request with the request's body and the output. */
    private URI upstream(BiConsumer<byte[], OutputStream> answer) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    accepted.incrementAndGet();
                    Thread.ofVirtual().start(() -> serve(s, answer));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/v1/messages?beta=true");
    }

    private void serve(Socket s, BiConsumer<byte[], OutputStream> answer) {
        try (s) {
            InputStream in = s.getInputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                requestHeads.add(head);
                int length = 0;
                for (String line : head.split("\r\n", -1)) {
                    if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                byte[] body = in.readNBytes(length);
                answer.accept(body, s.getOutputStream());
                s.getOutputStream().flush();
            }
        } catch (IOException | RuntimeException e) {
            // the client went away
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            if (b.size() >= 4 && b.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static void write(OutputStream out, String s) {
        try {
            out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private ClientExchange post(URI uri, String body) {
        return client.send(
                uri,
                "POST",
                HttpFields.build().put("content-type", "application/json").put("x-api-key", "k"),
                body.getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(5),
                Duration.ofSeconds(20));
    }

    /** Reads the whole body blocking, as the proxy's blocking readers do. */
    private static String bodyOf(ClientExchange x) throws IOException {
        try (InputStream in = Content.Source.asInputStream(x.body())) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void sendsOnlyTheCallersHeadersPlusHostAndLengthAndReusesTheConnection() throws Exception {
        URI uri = upstream((body, out) -> write(
                out,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + body.length + "\r\n\r\n"
                        + new String(body, StandardCharsets.ISO_8859_1)));
        for (int i = 0; i < 50; i++) {
            String body = "{\"n\":" + i + ",\"pad\":\"" + "x".repeat(i * 997) + "\"}";
            ClientExchange x = post(uri, body);
            ClientExchange.Head head = x.head().get(5, TimeUnit.SECONDS);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.headers().get("content-type")).isEqualTo("application/json");
            assertThat(bodyOf(x)).isEqualTo(body);
        }
        assertThat(accepted.get()).as("one kept-alive connection").isEqualTo(1);
        String first = requestHeads.poll();
        assertThat(first)
                .startsWith("POST /v1/messages?beta=true HTTP/1.1\r\n")
                .contains(
                        "Host: 127.0.0.1:" + uri.getPort() + "\r\n",
                        "content-type: application/json\r\n",
                        "x-api-key: k\r\n",
                        "Content-Length: 16\r\n")
                .doesNotContainIgnoringCase("user-agent")
                .doesNotContainIgnoringCase("accept-encoding");
    }

    @Test
    void aChunkedAnswerIsDecodedAndTheConnectionReused() throws Exception {
        URI uri = upstream((body, out) -> write(
                out,
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                        + "6\r\nevent:\r\n" + "7\r\n data\n\n\r\n" + "0\r\n\r\n"));
        for (int i = 0; i < 3; i++) {
            ClientExchange x = post(uri, "{}");
            x.head().get(5, TimeUnit.SECONDS);
            assertThat(bodyOf(x)).isEqualTo("event: data\n\n");
        }
        assertThat(accepted.get()).isEqualTo(1);
    }

    @Test
    void anAnswerThatEndsWithTheConnectionIsReadToItsEndAndNotReused() throws Exception {
        URI uri = upstream((body, out) -> {
            write(out, "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nall of it");
            throw new IllegalStateException("close"); // ends the serving thread, which closes the socket
        });
        for (int i = 0; i < 2; i++) {
            ClientExchange x = post(uri, "{}");
            assertThat(x.head().get(5, TimeUnit.SECONDS).status()).isEqualTo(200);
            assertThat(bodyOf(x)).isEqualTo("all of it");
        }
        assertThat(accepted.get()).isEqualTo(2);
    }

    @Test
    void interimAnswersAreSkipped() throws Exception {
        URI uri = upstream((body, out) -> write(
                out,
                "HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n"
                        + "HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok"));
        ClientExchange x = post(uri, "{}");
        assertThat(x.head().get(5, TimeUnit.SECONDS).status()).isEqualTo(201);
        assertThat(bodyOf(x)).isEqualTo("ok");
    }

    @Test
    void aPooledConnectionTheServerClosedIsNotUsedAgain() throws Exception {
        AtomicInteger n = new AtomicInteger();
        URI uri = upstream((body, out) -> {
            write(out, "HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n" + n.incrementAndGet());
            throw new IllegalStateException("close after the answer, without saying so");
        });
        ClientExchange first = post(uri, "{}");
        first.head().get(5, TimeUnit.SECONDS);
        assertThat(bodyOf(first)).isEqualTo("1");
        // the pooled connection sees the close while it waits; give the loop a moment to notice
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (client.openConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(client.openConnections()).isZero();
        ClientExchange second = post(uri, "{}");
        second.head().get(5, TimeUnit.SECONDS);
        assertThat(bodyOf(second)).isEqualTo("2");
    }

    @Test
    void aRefusedConnectionFailsTheHead() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ClientExchange x = post(URI.create("http://127.0.0.1:" + port + "/v1/messages"), "{}");
        assertThatThrownBy(() -> x.head().get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(java.net.ConnectException.class);
    }

    @Test
    void aMalformedAnswerFailsTheHead() throws Exception {
        URI uri = upstream((body, out) -> write(out, "SMTP ready\r\n\r\n"));
        ClientExchange x = post(uri, "{}");
        assertThatThrownBy(() -> x.head().get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
    }

    @Test
    void anAnswerCutMidBodyFailsTheRead() throws Exception {
        URI uri = upstream((body, out) -> {
            write(out, "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part");
            throw new IllegalStateException("cut");
        });
        ClientExchange x = post(uri, "{}");
        x.head().get(5, TimeUnit.SECONDS);
        assertThatThrownBy(() -> bodyOf(x)).isInstanceOf(IOException.class);
    }

    @Test
    void anAbortedExchangeFailsItsReadsAndClosesItsConnection() throws Exception {
        URI uri = upstream((body, out) -> {
            write(out, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n");
            try {
                // holds the answer until the test ends (bounded in case it never does)
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        ClientExchange x = post(uri, "{}");
        x.head().get(5, TimeUnit.SECONDS);
        x.abort(new IOException("client gone"));
        Content.Chunk c;
        do {
            c = x.body().read();
        } while (c != null && !Content.Chunk.isFailure(c));
        assertThat(c).isNotNull();
        assertThat(c.getFailure()).hasMessage("client gone");
        assertThat(client.openConnections()).isZero();
    }

    @Test
    void aSilentUpstreamIsGivenUpAfterTheIdleTimeout() throws Exception {
        URI uri = upstream((body, out) -> {
            write(out, "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n");
            try {
                // holds the answer until the test ends (bounded in case it never does)
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        ClientExchange x = client.send(
                uri,
                "POST",
                HttpFields.build(),
                "{}".getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(1),
                Duration.ofSeconds(20));
        x.head().get(5, TimeUnit.SECONDS);
        long start = System.nanoTime();
        assertThatThrownBy(() -> bodyOf(x)).isInstanceOf(IOException.class);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(500L, 5_000L);
    }

    @Test
    void parallelExchangesEachGetTheirOwnAnswer() throws Exception {
        URI uri = upstream((body, out) -> write(
                out,
                "HTTP/1.1 200 OK\r\ncontent-length: " + body.length + "\r\n\r\n"
                        + new String(body, StandardCharsets.ISO_8859_1)));
        List<Thread> threads = new java.util.ArrayList<>();
        AtomicInteger ok = new AtomicInteger();
        for (int t = 0; t < 20; t++) {
            int id = t;
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 20; i++) {
                    String body = "{\"t\":" + id + ",\"i\":" + i + "}";
                    try {
                        ClientExchange x = post(uri, body);
                        x.head().get(10, TimeUnit.SECONDS);
                        if (bodyOf(x).equals(body)) {
                            ok.incrementAndGet();
                        }
                    } catch (Exception e) {
                        // counted as missing
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join(25_000);
        }
        assertThat(ok.get()).isEqualTo(400);
        assertThat(accepted.get()).isLessThanOrEqualTo(20);
    }
}
