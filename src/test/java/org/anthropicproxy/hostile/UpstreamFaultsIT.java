package org.anthropicproxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.anthropicproxy.testkit.RawHttpExchange;
import org.anthropicproxy.testkit.SocketUpstream;
import org.anthropicproxy.testkit.ThreadCensus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream that cuts its answer short or breaks its chunked framing, then closes: each client gets an
 * Anthropic-shaped 502, and the proxy closes its side of every such socket, none left in CLOSE-WAIT (read from the
 * proxy process's own socket table).
 */
class UpstreamFaultsIT {

    private static final String CUT =
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"id\":\"msg_1\",";
    private static final String BAD_CHUNK =
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                    + "10\r\n{\"id\":\"msg_1\",\"ty\r\nZZ\r\nnot a chunk\r\n";
    private static final String CUT_STREAM =
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                    + "40\r\nevent: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"\r\n";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void tenCutOrBadlyChunkedAnswersLeaveNoUpstreamSocketInCloseWait() throws Exception {
        AtomicInteger n = new AtomicInteger();
        try (SocketUpstream upstream = new SocketUpstream(c -> {
                    c.readRequest();
                    String body = c.bodyText();
                    c.write(
                            body.contains("\"stream\":true")
                                    ? CUT_STREAM
                                    : n.getAndIncrement() % 2 == 0 ? CUT : BAD_CHUNK);
                    // the upstream closes its side: a proxy that does not close its own keeps the socket in CLOSE-WAIT
                });
                HostileProxy proxy = HostileProxy.start(dir, HostileProxy.config(upstream.baseUrl(), ""), "256m", 0)) {
            int upstreamPort = java.net.URI.create(upstream.baseUrl()).getPort();
            for (int i = 0; i < 10; i++) {
                RawHttpExchange.Answer a =
                        RawHttpExchange.send(proxy.port(), Wire.post(Wire.MESSAGE, ""), false, Duration.ofSeconds(20));
                assertThat(a.status()).as("answer %d", i).isEqualTo(502);
                assertThat(a.bodyText()).as("answer %d", i).contains("\"type\":\"error\"");
            }
            for (int i = 0; i < 4; i++) {
                RawHttpExchange.Answer a =
                        RawHttpExchange.send(proxy.port(), Wire.post(Wire.STREAM, ""), false, Duration.ofSeconds(20));
                assertThat(a.timedOut()).as("stream %d ended", i).isFalse();
            }
            assertThat(upstream.accepted()).isEqualTo(14);
            // the proxy closes at once; a short bounded wait lets the last close reach the socket table
            boolean none = ThreadCensus.await(Duration.ofSeconds(3), () -> {
                try {
                    return proxy.sockets(upstreamPort, "08") == 0 && proxy.sockets(upstreamPort, "01") == 0;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(none)
                    .as(
                            "upstream sockets in CLOSE-WAIT: %d, established: %d",
                            proxy.sockets(upstreamPort, "08"), proxy.sockets(upstreamPort, "01"))
                    .isTrue();
        }
    }
}
