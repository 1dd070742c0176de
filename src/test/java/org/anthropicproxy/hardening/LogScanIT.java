package org.anthropicproxy.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.ProxyHarness;
import org.anthropicproxy.testkit.RefreshServerSimulator;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A full run with known secrets everywhere a secret can be (config keys, client keys, admin keys, request headers, a
 * credential file, refreshed tokens, upstream error bodies echoing the key) and every kind of request (stream,
 * non-stream, count_tokens, failover, refusal, upstream errors, bad requests, bad keys, admin), logged to a file at
 * TRACE for the proxy's own loggers: no secret may appear in that file.
 */
class LogScanIT {

    private static final String PT_KEY = "SECRET-pt-apikey-5e6f0a";
    private static final String SPENT_KEY = "SECRET-spent-apikey-7a8b1c";
    private static final String DEAD_KEY = "SECRET-dead-apikey-2d3e4f";
    private static final String CLIENT_KEY = "SECRET-client-key-1a2b3c";
    private static final String ADMIN_KEY = "SECRET-admin-key-3c4d5e";
    private static final String WRONG_KEY = "SECRET-wrong-key-presented-9f8e";
    private static final String CB_ACCESS = "SECRET-cb-access-9c0d1e";
    private static final String CB_REFRESH = "SECRET-cb-refresh-1e2f3a";
    private static final String REFRESHED_PREFIX = "SECRET-refreshed";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void noSecretReachesTheLogFile() throws Exception {
        Path log = dir.resolve("proxy.log");
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        Logger ours = ctx.getLogger("org.anthropicproxy");
        Logger access = ctx.getLogger("access");
        Level previous = ours.getLevel();
        Level previousAccess = access.getLevel();
        PatternLayoutEncoder enc = new PatternLayoutEncoder();
        enc.setContext(ctx);
        enc.setPattern("%d %-5level [%thread] %logger - %msg%n%ex");
        enc.start();
        FileAppender<ILoggingEvent> file = new FileAppender<>();
        file.setContext(ctx);
        file.setFile(log.toString());
        file.setEncoder(enc);
        file.start();
        root.addAppender(file);
        ours.setLevel(Level.TRACE);
        access.setLevel(Level.INFO);
        try (RefreshServerSimulator refresh = new RefreshServerSimulator(REFRESHED_PREFIX);
                UpstreamSimulator pt = new UpstreamSimulator(r -> anthropic(r, PT_KEY));
                UpstreamSimulator spent = new UpstreamSimulator(r -> UpstreamScript.json(
                        429,
                        "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"weekly limit reached for key "
                                + SPENT_KEY + " (x-api-key: " + SPENT_KEY + ")\"}}"));
                UpstreamSimulator oa = new UpstreamSimulator(LogScanIT::openai);
                HttpClient http = HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(5))
                        .build()) {
            Path cbFile = dir.resolve("codebuddy.info");
            Files.writeString(cbFile, codeBuddyDoc());
            int closed;
            try (ServerSocket s = new ServerSocket(0)) {
                closed = s.getLocalPort();
            }
            String yaml = "client_keys: [" + CLIENT_KEY + "]\nadmin_keys: [" + ADMIN_KEY + "]\nproviders:\n"
                    + "  pt: {kind: anthropic, base_url: \"" + pt.baseUrl() + "\", api_key: " + PT_KEY + "}\n"
                    + "  spent: {kind: anthropic, base_url: \"" + spent.baseUrl() + "\", api_key: " + SPENT_KEY + "}\n"
                    + "  dead: {kind: anthropic, base_url: \"http://127.0.0.1:" + closed + "\", api_key: " + DEAD_KEY
                    + "}\n"
                    + "  oa: {kind: openai, base_url: \"" + oa.baseUrl() + "\", auth: {type: codebuddy, file: \""
                    + cbFile
                    + "\", refresh_url: \"" + refresh.codebuddyUrl() + "\"}}\n"
                    + "route: [pt]\nroutes:\n  - {match: \"oa-*\", chain: [oa]}\n  - {match: \"q-*\", chain: [spent, oa]}\n"
                    + "  - {match: \"dead-*\", chain: [dead, pt]}\n";
            List<Integer> statuses = new ArrayList<>();
            try (ProxyHarness proxy = ProxyHarness.start(yaml)) {
                String[] client = {"x-api-key", CLIENT_KEY};
                String[] bearer = {"authorization", "Bearer " + CLIENT_KEY};
                String[] admin = {"x-api-key", ADMIN_KEY};
                for (String model : List.of(
                        "claude-sonnet-4-5",
                        "oa-model",
                        "q-model",
                        "dead-model",
                        "e401-model",
                        "e500-model",
                        "oa-e401",
                        "oa-e500")) {
                    for (boolean stream : List.of(false, true)) {
                        statuses.add(send(
                                http, proxy, "POST", "/v1/messages", body(model, stream), stream ? bearer : client));
                    }
                }
                statuses.add(send(
                        http, proxy, "POST", "/v1/messages/count_tokens", body("claude-sonnet-4-5", false), client));
                statuses.add(send(http, proxy, "POST", "/v1/messages/count_tokens", body("oa-model", false), client));
                statuses.add(send(http, proxy, "POST", "/v1/messages", "{\"model\":7}", client));
                statuses.add(send(
                        http, proxy, "POST", "/v1/messages", body("claude-sonnet-4-5", false), "x-api-key", WRONG_KEY));
                statuses.add(send(
                        http,
                        proxy,
                        "POST",
                        "/v1/messages",
                        body("claude-sonnet-4-5", false),
                        "authorization",
                        "Bearer " + WRONG_KEY));
                statuses.add(send(http, proxy, "GET", "/v1/quota", null, client));
                statuses.add(send(http, proxy, "GET", "/v1/quota", null, admin));
                statuses.add(send(http, proxy, "POST", "/v1/quota/reset", "", admin));
                statuses.add(send(http, proxy, "GET", "/health", null));
                statuses.add(send(http, proxy, "GET", "/v1/models", null, bearer));
            }
            assertThat(statuses).contains(200, 400, 401, 500);
            assertThat(oa.received()).isNotEmpty();
            assertThat(refresh.codebuddyCalls())
                    .as("the 401 from the translation upstream made the proxy refresh")
                    .isPositive();
        } finally {
            root.detachAppender(file);
            file.stop();
            ours.setLevel(previous);
            access.setLevel(previousAccess);
        }
        String text = Files.readString(log);
        assertThat(text).as("the log is written").contains("POST /v1/messages").contains("status=");
        List<String> secrets = List.of(
                PT_KEY, SPENT_KEY, DEAD_KEY, CLIENT_KEY, ADMIN_KEY, WRONG_KEY, CB_ACCESS, CB_REFRESH, REFRESHED_PREFIX);
        for (String s : secrets) {
            assertThat(text).as("secret %s in the log:%n%s", s, text).doesNotContain(s);
        }
        System.out.printf(
                "%n== LogScanIT ==%n%d log lines scanned, %d secret values, none found%n",
                text.lines().count(), secrets.size());
    }

    private static String body(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":16,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    private static int send(
            HttpClient http, ProxyHarness proxy, String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(proxy.baseUrl() + path))
                .timeout(Duration.ofSeconds(20))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static UpstreamScript anthropic(org.anthropicproxy.testkit.RecordedRequest r, String key) {
        if (r.path().endsWith("count_tokens")) {
            return UpstreamScript.json(200, "{\"input_tokens\":3}");
        }
        String model = r.json().path("model").asText();
        if (model.contains("e401")) {
            return UpstreamScript.json(
                    401,
                    "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key "
                            + key + "\"}}");
        }
        if (model.contains("e500")) {
            return UpstreamScript.raw(
                    500,
                    "text/plain",
                    "internal error while checking Authorization: Bearer " + key + " api_key=" + key);
        }
        return r.json().path("stream").asBoolean()
                ? UpstreamScript.sse(Fixtures.text("anthropic/stream-text.sse"))
                : UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json"));
    }

    private static UpstreamScript openai(org.anthropicproxy.testkit.RecordedRequest r) {
        String model = r.json().path("model").asText();
        String auth = String.valueOf(r.header("authorization"));
        if (model.contains("e401")) {
            return UpstreamScript.json(
                    401,
                    "{\"error\":{\"message\":\"Incorrect API key provided: " + auth.substring(7)
                            + ". You can find your API key at https://example.com\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
        }
        if (model.contains("e500")) {
            return UpstreamScript.json(
                    500,
                    "{\"error\":{\"message\":\"upstream failed for token " + auth.substring(7)
                            + "\",\"type\":\"server_error\"}}");
        }
        return r.json().path("stream").asBoolean()
                ? UpstreamScript.sse(Fixtures.text("openai/stream-text-include-usage.sse"))
                : UpstreamScript.json(200, Fixtures.text("openai/chat-completion-text.json"));
    }

    private static String codeBuddyDoc() throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode doc = m.createObjectNode();
        ObjectNode account = doc.putObject("account");
        account.put("uid", "uid-42");
        account.put("enterpriseId", "ent-7");
        ObjectNode auth = doc.putObject("auth");
        auth.put("accessToken", CB_ACCESS);
        auth.put("refreshToken", CB_REFRESH);
        auth.put("expiresAt", Instant.now().plus(Duration.ofHours(2)).toEpochMilli());
        return m.writeValueAsString(doc);
    }
}
