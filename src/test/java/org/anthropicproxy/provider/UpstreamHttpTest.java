package org.anthropicproxy.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.config.ServerSettings;
import org.anthropicproxy.testkit.SocketUpstream;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class UpstreamHttpTest {

    private static ServerSettings headersTimeout(Duration d) {
        ServerSettings s = ServerSettings.defaults();
        return new ServerSettings(
                s.host(),
                s.port(),
                s.maxBodyBytes(),
                s.maxHeaderBytes(),
                s.maxConcurrentRequests(),
                s.pingInterval(),
                s.connectTimeout(),
                d,
                s.idleTimeout(),
                s.requestTimeout(),
                s.upstreamIdleConnection(),
                s.shutdownGrace());
    }

    private static final HttpFields JSON = HttpFields.build().add("content-type", "application/json");

    @Test
    void silentUpstreamEndsInHeadersTimeout() throws Exception {
        CountDownLatch peerClosed = new CountDownLatch(1);
        try (SocketUpstream up = new SocketUpstream(c -> {
                    if (c.readRequest().awaitPeerClose(Duration.ofSeconds(20))) {
                        peerClosed.countDown();
                    }
                });
                UpstreamHttp http = new UpstreamHttp(headersTimeout(Duration.ofMillis(300)))) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> http.post(
                            URI.create(up.baseUrl() + "/v1/messages"), JSON, "{}".getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOfSatisfying(UpstreamHttp.NoAnswerException.class, e -> {
                        assertThat(e.timeout()).isTrue();
                        assertThat(e.getMessage()).contains("sent no response headers within");
                    });
            // fired by the sweeper: not before the deadline
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(peerClosed.await(5, TimeUnit.SECONDS))
                    .as("the aborted upstream connection is closed")
                    .isTrue();
        }
    }

    @Test
    void answeredRequestsLeaveNoDeadlineBehind() throws Exception {
        try (SocketUpstream up = new SocketUpstream(
                        c -> c.readRequest().head(200, "application/json").write("{\"ok\":1}"));
                UpstreamHttp http = new UpstreamHttp(headersTimeout(Duration.ofMillis(300)))) {
            for (int i = 0; i < 5; i++) {
                try (UpstreamHttp.Exchange ex = http.post(
                        URI.create(up.baseUrl() + "/v1/messages"), JSON, "{}".getBytes(StandardCharsets.UTF_8))) {
                    assertThat(ex.status()).isEqualTo(200);
                    assertThat(new String(ex.readBody(1024), StandardCharsets.UTF_8))
                            .isEqualTo("{\"ok\":1}");
                }
            }
            assertThat(http.pendingHeaderDeadlines())
                    .as("nothing left for the sweeper to fire")
                    .isZero();
        }
    }

    @Test
    void everyStatusComesWithItsBodyWhetherReadWholeOrStreamed() throws Exception {
        String error =
                "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid token\"}}";
        try (UpstreamSimulator up =
                        new UpstreamSimulator(r -> UpstreamScript.json(Integer.parseInt(r.header("x-status")), error));
                UpstreamHttp http = new UpstreamHttp(ServerSettings.defaults())) {
            URI uri = URI.create(up.baseUrl() + "/v1/messages");
            for (int status : new int[] {401, 401, 407, 200, 429, 401}) {
                HttpFields h = HttpFields.build()
                        .add("content-type", "application/json")
                        .add("x-status", Integer.toString(status));
                try (UpstreamHttp.Exchange whole =
                                http.postForWhole(uri, h, "{}".getBytes(StandardCharsets.UTF_8), 1 << 20);
                        UpstreamHttp.Exchange streamed = http.post(uri, h, "{}".getBytes(StandardCharsets.UTF_8))) {
                    assertThat(whole.status()).isEqualTo(status);
                    assertThat(new String(whole.readBody(1 << 20), StandardCharsets.UTF_8))
                            .as("whole %d", status)
                            .isEqualTo(error);
                    assertThat(streamed.status()).isEqualTo(status);
                    assertThat(new String(streamed.readBody(1 << 20), StandardCharsets.UTF_8))
                            .as("streamed %d", status)
                            .isEqualTo(error);
                }
            }
        }
    }

    @Test
    void aStreamOutlivesTheHeadersDeadlineOnceItsHeadersCame() throws Exception {
        try (SocketUpstream up = new SocketUpstream(c -> c.readRequest()
                        .head(200, "text/event-stream")
                        .write("event: ping\ndata: {}\n\n")
                        .pause(Duration.ofMillis(900))
                        .write("event: end\ndata: {}\n\n"));
                UpstreamHttp http = new UpstreamHttp(headersTimeout(Duration.ofMillis(200)))) {
            try (UpstreamHttp.Exchange ex =
                    http.post(URI.create(up.baseUrl() + "/v1/messages"), JSON, "{}".getBytes(StandardCharsets.UTF_8))) {
                assertThat(http.pendingHeaderDeadlines())
                        .as("the headers deadline ends with the headers")
                        .isZero();
                // the body takes longer than the headers deadline, and arrives whole
                assertThat(new String(ex.body().readAllBytes(), StandardCharsets.UTF_8))
                        .isEqualTo("event: ping\ndata: {}\n\nevent: end\ndata: {}\n\n");
            }
        }
    }
}
