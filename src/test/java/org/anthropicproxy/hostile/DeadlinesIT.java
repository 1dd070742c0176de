package org.anthropicproxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.RawHttpExchange;
import org.anthropicproxy.testkit.SocketUpstream;
import org.anthropicproxy.testkit.ThreadCensus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deadlines and caps a hostile network cannot outlast (server.client_header_timeout, keep_alive_timeout,
 * client_body_timeout, max_connections; short ones here, their defaults in ConfigLoaderTest): a head trickled byte
 * by byte (slowloris), an idle keep-alive connection, a chunked upload that stops while it holds a concurrency slot,
 * and connections beyond the cap.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeadlinesIT {

    private static final Duration DEADLINE = Duration.ofSeconds(2);

    @TempDir
    static Path dir;

    static SocketUpstream upstream;
    static HostileProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        upstream = new SocketUpstream(c -> c.readRequest().write(Wire.answer("connection: close\r\n")));
        proxy = HostileProxy.start(
                dir,
                HostileProxy.config(
                        upstream.baseUrl(),
                        "client_header_timeout: 2s, keep_alive_timeout: 2s, "
                                + "client_body_timeout: 4s, max_connections: 16, max_concurrent_requests: 2"),
                "256m",
                0);
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        upstream.close();
    }

    @Test
    void aConnectionTricklingItsHeadIsClosedByTheHeaderDeadline() throws Exception {
        try (Socket s = proxy.connect()) {
            long start = System.nanoTime();
            Thread trickle = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    out.write(Wire.ascii("GET /health HTTP/1.1\r\nhost: x\r\nx-slow: "));
                    for (int i = 0; i < 40; i++) {
                        Thread.sleep(200); // a byte every 200 ms: never silent long enough for an idle timeout
                        out.write('a');
                        out.flush();
                    }
                } catch (IOException | InterruptedException e) {
                    // closed by the proxy: the point
                }
            });
            assertThat(Wire.closedWithin(s, Duration.ofSeconds(6)))
                    .as("closed while still trickling")
                    .isTrue();
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(ms).as("ms until closed").isGreaterThanOrEqualTo(DEADLINE.toMillis() - 100);
            trickle.interrupt();
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAfterTheKeepAliveTimeout() throws Exception {
        try (Socket s = proxy.connect()) {
            s.getOutputStream().write(Wire.ascii("GET /health HTTP/1.1\r\nhost: x\r\n\r\n"));
            RawHttpExchange.Answer a = RawHttpExchange.read(new BufferedInputStream(s.getInputStream()));
            assertThat(a.status()).isEqualTo(200);
            long start = System.nanoTime();
            assertThat(Wire.closedWithin(s, Duration.ofSeconds(6))).isTrue();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                    .isGreaterThanOrEqualTo(DEADLINE.toMillis() - 100);
        }
    }

    @Test
    void stalledChunkedUploadsDoNotHoldConcurrencySlotsPastTheBodyDeadline() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Socket s = proxy.connect();
                stalled.add(s);
                s.getOutputStream()
                        .write(
                                Wire.ascii(
                                        "POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: " + HostileProxy.CLIENT_KEY
                                                + "\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{\"mod\r\n"));
                int held = i + 1;
                // one at a time, so no other request races it for a slot (/health takes none)
                assertThat(ThreadCensus.await(Duration.ofSeconds(2), () -> inFlight() == held + 1))
                        .as("upload %d in progress", held)
                        .isTrue();
            }
            // both slots (max_concurrent_requests: 2) are taken by the stalled uploads
            assertThat(status(Wire.post(Wire.MESSAGE, "")))
                    .as("the stalled uploads hold the slots")
                    .isEqualTo(529);
            for (Socket s : stalled) {
                assertThat(Wire.closedWithin(s, Duration.ofSeconds(8)))
                        .as("a stalled upload is let go")
                        .isTrue();
            }
            assertThat(status(Wire.post(Wire.MESSAGE, "")))
                    .as("the slots are free again")
                    .isEqualTo(200);
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
    }

    @Test
    void connectionsBeyondTheCapAreClosedAtOnce() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                held.add(proxy.connect());
            }
            try (Socket extra = proxy.connect()) {
                assertThat(Wire.closedWithin(extra, Duration.ofSeconds(1)))
                        .as("the 17th connection")
                        .isTrue();
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        assertThat(ThreadCensus.await(
                        Duration.ofSeconds(3), () -> status("GET /health HTTP/1.1\r\nhost: x\r\n\r\n") == 200))
                .as("served again once connections closed")
                .isTrue();
    }

    /** Requests in progress, as /health counts them (this /health request included); -1 when unreadable. */
    private static int inFlight() {
        try {
            String h = RawHttpExchange.send(
                            proxy.port(), "GET /health HTTP/1.1\r\nhost: x\r\n\r\n", false, Duration.ofSeconds(3))
                    .bodyText();
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("\"in_flight\":(\\d+)").matcher(h);
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private static int status(String request) {
        try {
            return RawHttpExchange.send(proxy.port(), request, false, Duration.ofSeconds(5))
                    .status();
        } catch (IOException e) {
            return -1;
        }
    }
}
