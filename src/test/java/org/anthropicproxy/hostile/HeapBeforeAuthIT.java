package org.anthropicproxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.anthropicproxy.testkit.RawHttpExchange;
import org.anthropicproxy.testkit.SocketUpstream;
import org.anthropicproxy.testkit.ThreadCensus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections that only declare large bodies take no heap: a body is collected as it arrives, after authentication
 * and the concurrency limit, never allocated from its declared length. The proxy runs with a 256 MB heap, so 24
 * connections declaring 32 MiB each (768 MiB) would exhaust it if they could; an authenticated 20 MB request is
 * served whole meanwhile, and every request that ends leaves /health's in-flight count.
 */
class HeapBeforeAuthIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void twentyFourDeclared32MiBBodiesDoNotStopAnAuthenticated20MBRequest() throws Exception {
        AtomicInteger received = new AtomicInteger();
        try (SocketUpstream upstream = new SocketUpstream(c -> {
                    c.readRequest();
                    received.set(c.bodyText().length());
                    c.write(Wire.answer("connection: close\r\n"));
                });
                HostileProxy proxy = HostileProxy.start(dir, HostileProxy.config(upstream.baseUrl(), ""), "256m", 0)) {
            List<Socket> declared = new ArrayList<>();
            try {
                for (int i = 0; i < 24; i++) {
                    Socket s = proxy.connect();
                    declared.add(s);
                    // half with the client key (they pass auth and take a concurrency slot), half without
                    String key = i % 2 == 0 ? "x-api-key: " + HostileProxy.CLIENT_KEY + "\r\n" : "";
                    s.getOutputStream()
                            .write(Wire.ascii("POST /v1/messages HTTP/1.1\r\nhost: x\r\n" + key
                                    + "content-type: application/json\r\ncontent-length: 33554432\r\n\r\n"));
                }
                assertThat(ThreadCensus.await(Duration.ofSeconds(10), () -> inFlight(proxy) >= 24 + 1))
                        .as("the 24 requests reached the proxy")
                        .isTrue();

                String text = "x".repeat(20 * 1000 * 1000);
                String body =
                        "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\""
                                + text + "\"}]}";
                try (Socket s = proxy.connect()) {
                    s.setSoTimeout(60_000);
                    OutputStream out = s.getOutputStream();
                    out.write(Wire.post(body, "").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    RawHttpExchange.Answer a = RawHttpExchange.read(new BufferedInputStream(s.getInputStream()));
                    assertThat(a.status())
                            .as("the 20 MB request; proxy output:\n%s", proxy.output())
                            .isEqualTo(200);
                    assertThat(a.bodyText()).isEqualTo(Wire.ANSWER);
                }
                assertThat(received.get()).as("the upstream got the whole body").isEqualTo(body.length());
                assertThat(proxy.output()).doesNotContain("OutOfMemoryError").doesNotContain("internal proxy error");
            } finally {
                for (Socket s : declared) {
                    s.close();
                }
            }
            // every request that ended is counted out: only the /health request itself is in flight
            assertThat(ThreadCensus.await(Duration.ofSeconds(10), () -> inFlight(proxy) == 1))
                    .as("in flight after the clients left: %d", inFlight(proxy))
                    .isTrue();
        }
    }

    private static int inFlight(HostileProxy proxy) {
        try {
            RawHttpExchange.Answer a = RawHttpExchange.send(
                    proxy.port(), "GET /health HTTP/1.1\r\nhost: x\r\n\r\n", false, Duration.ofSeconds(5));
            JsonNode h = JSON.readTree(a.body());
            return h.path("in_flight").asInt(-1);
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
