package org.anthropicproxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.SocketUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A client that closes its connection while the upstream is still working (for 10 s) makes the proxy close its
 * upstream connection at once, as nginx does (499): streaming or not, before the upstream's headers or after them.
 * The upstream would otherwise go on generating, and billing.
 */
class ClientDepartureIT {

    @TempDir
    static Path dir;

    static SocketUpstream upstream;
    static HostileProxy proxy;
    /** When the upstream saw the proxy close the connection of the request in progress (nanoTime). */
    static volatile CompletableFuture<Long> upstreamClosed = new CompletableFuture<>();

    @BeforeAll
    static void start() throws Exception {
        upstream = new SocketUpstream(c -> {
            c.readRequest();
            CompletableFuture<Long> closed = upstreamClosed;
            if (c.bodyText().contains("after-headers")) {
                c.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + Wire.ANSWER.length()
                        + "\r\n\r\n");
            }
            // ten seconds of work; the proxy closing the connection ends it early
            if (c.awaitPeerClose(Duration.ofSeconds(10))) {
                closed.complete(System.nanoTime());
            } else {
                closed.completeExceptionally(new AssertionError("the upstream worked 10 s for a client that had left"));
            }
        });
        // models named chain-* go through a failover chain of two providers, served on a thread that waits
        proxy = HostileProxy.start(
                dir,
                "providers:\n"
                        + "  up: {kind: anthropic, base_url: \"" + upstream.baseUrl() + "\", api_key: upstream-key}\n"
                        + "  up2: {kind: anthropic, base_url: \"" + upstream.baseUrl() + "\", api_key: upstream-key}\n"
                        + "route: [up]\nroutes: [{match: \"chain-*\", chain: [up, up2]}]\n"
                        + "client_keys: [" + HostileProxy.CLIENT_KEY + "]\n",
                "256m",
                0);
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        upstream.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            stream, before the upstream's headers                  | true  | before        | claude-sonnet-4-5
            non-stream, before the upstream's headers              | false | before        | claude-sonnet-4-5
            non-stream, after the upstream's headers               | false | after-headers | claude-sonnet-4-5
            failover chain, stream, before the upstream's headers  | true  | before        | chain-model
            failover chain, non-stream, after the upstream's headers | false | after-headers | chain-model
            """)
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aClientGoneOneSecondIntoATenSecondWaitClosesTheUpstreamWithinTwoSeconds(
            String name, boolean stream, String when, String model) throws Exception {
        upstreamClosed = new CompletableFuture<>();
        int accepted = upstream.accepted();
        String body = "{\"model\":\"" + model + "\",\"max_tokens\":5,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + when + "\"}]}";
        long gone;
        try (Socket s = proxy.connect()) {
            s.getOutputStream().write(Wire.ascii(Wire.post(body, "")));
            s.getOutputStream().flush();
            assertThat(org.anthropicproxy.testkit.ThreadCensus.await(
                            Duration.ofSeconds(5), () -> upstream.accepted() > accepted))
                    .as("the request reached the upstream")
                    .isTrue();
            Thread.sleep(1000); // the client waits a second, then leaves (a deadline test: time must pass)
            gone = System.nanoTime();
        }
        long closedAt = upstreamClosed.get(15, TimeUnit.SECONDS);
        assertThat(TimeUnit.NANOSECONDS.toMillis(closedAt - gone))
                .as(name + ": ms until the upstream connection closed")
                .isLessThan(2000);
    }
}
