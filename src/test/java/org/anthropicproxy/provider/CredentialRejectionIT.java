package org.anthropicproxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RecordedRequest;
import org.anthropicproxy.testkit.RefreshServerSimulator;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An upstream that rejects the token with 401: the proxy refreshes it once and sends the request again, for both
 * provider kinds and for answers served on the I/O thread (non-stream, stream) as for the rest; a token rejected
 * again after its refresh gets the client the upstream's own 401.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CredentialRejectionIT {

    private static final String REJECTED =
            "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid token\"}}";
    private static final String REQUEST =
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    @TempDir
    Path dir;

    private final RefreshServerSimulator refresh = new RefreshServerSimulator("native");
    private UpstreamSimulator upstream;
    private ProxyHarness proxy;

    /** A proxy with one provider of {@code kind} whose token file can be refreshed. */
    private void start(String kind) throws Exception {
        upstream = new UpstreamSimulator(r -> kind.equals("anthropic")
                ? UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json"))
                : UpstreamScript.json(200, Fixtures.text("openai/chat-completion-text.json")));
        ObjectNode doc = new ObjectMapper().createObjectNode();
        doc.put("accessToken", "first-access");
        doc.put("refreshToken", "first-refresh");
        doc.put("expiresAt", Instant.now().plus(1, ChronoUnit.HOURS).toEpochMilli());
        Path file = dir.resolve("config.json");
        Files.writeString(file, doc.toString());
        proxy = ProxyHarness.start("""
                providers:
                  sim:
                    kind: %s
                    base_url: %s
                    auth: {type: native, file: "%s", refresh_url: "%s"}
                route: [sim]
                """.formatted(kind, upstream.baseUrl(), file, refresh.nativeUrl()));
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        refresh.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic", "openai"})
    void aRejectedTokenIsRefreshedAndTheMessageSentAgain(String kind) throws Exception {
        start(kind);
        upstream.enqueue(UpstreamScript.json(401, REJECTED));
        HttpResponse<String> r = proxy.post("/v1/messages", REQUEST + "}", "content-type", "application/json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(new ObjectMapper().readTree(r.body()).path("type").asText()).isEqualTo("message");
        assertRetriedWithTheRefreshedToken(kind);
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic", "openai"})
    void aRejectedTokenIsRefreshedAndTheStreamSentAgain(String kind) throws Exception {
        start(kind);
        upstream.enqueue(UpstreamScript.json(401, REJECTED));
        upstream.enqueue(UpstreamScript.sse(Fixtures.text(
                kind.equals("anthropic") ? "anthropic/stream-text.sse" : "openai/stream-text-include-usage.sse")));
        HttpResponse<String> r =
                proxy.post("/v1/messages", REQUEST + ",\"stream\":true}", "content-type", "application/json");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type"))
                .hasValueSatisfying(ct -> assertThat(ct).startsWith("text/event-stream"));
        assertThat(r.body()).contains("event: message_stop");
        assertRetriedWithTheRefreshedToken(kind);
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic", "openai"})
    void aTokenRejectedAgainAfterItsRefreshIsTheUpstreams401(String kind) throws Exception {
        start(kind);
        upstream.enqueue(UpstreamScript.json(401, REJECTED));
        upstream.enqueue(UpstreamScript.json(401, REJECTED));
        HttpResponse<String> r = proxy.post("/v1/messages", REQUEST + "}", "content-type", "application/json");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("authentication_error").contains("invalid token");
        assertThat(upstream.received()).hasSize(2);
    }

    private void assertRetriedWithTheRefreshedToken(String kind) {
        List<RecordedRequest> sent = upstream.received();
        assertThat(sent).hasSize(2);
        assertThat(refresh.nativeCalls()).isEqualTo(1);
        assertThat(token(kind, sent.get(0))).isEqualTo("first-access");
        assertThat(token(kind, sent.get(1))).isEqualTo(refresh.accessToken(1));
        assertThat(sent.get(1).body()).isEqualTo(sent.get(0).body());
    }

    private static String token(String kind, RecordedRequest r) {
        return kind.equals("anthropic")
                ? r.header("x-api-key")
                : r.header("authorization").replaceFirst("^Bearer ", "");
    }
}
