package org.anthropicproxy.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A token refresh endpoint on 127.0.0.1 speaking both protocols:
 * <ul>
 *   <li>Claude-Code-Internal ({@value #NATIVE_PATH}): form {@code refresh_token, client_id,
 *       grant_type=refresh_token}, header {@code OAUTH-TOKEN}; answers {@code {access_token, refresh_token,
 *       expires_in}}.</li>
 *   <li>CodeBuddy ({@value #CODEBUDDY_PATH}): body {@code {}}, headers {@code X-Refresh-Token},
 *       {@code X-Auth-Refresh-Source: plugin}, {@code Authorization: Bearer}; answers
 *       {@code {"code":0,"data":{accessToken, refreshToken, expiresIn, …}}}.</li>
 * </ul>
 * Like the real servers it rotates refresh tokens: once {@link #requireRefreshToken} is set, only the latest
 * issued refresh token is accepted. It counts calls, records what it received, and can be told to fail.
 */
public final class RefreshServerSimulator implements AutoCloseable {
    public static final String NATIVE_PATH = "/api/v2/auth/oauth_token/refresh";
    public static final String CODEBUDDY_PATH = "/v2/plugin/auth/token/refresh";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as received; header names are lower-case. */
    public record Received(String path, Map<String, List<String>> headers, String body, Map<String, String> form) {
        public String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.get(0);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger nativeCalls = new AtomicInteger();
    private final AtomicInteger codebuddyCalls = new AtomicInteger();
    private final AtomicInteger issued = new AtomicInteger();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final String tokenPrefix;

    private final String scheme;
    private volatile int failStatus;
    private volatile boolean omitRefreshToken;
    private volatile boolean expiresAtStyle;
    private volatile long expiresInSeconds = 3600;
    private volatile String acceptedRefreshToken;
    private volatile CountDownLatch gate;

    public RefreshServerSimulator() {
        this("sim");
    }

    /** @param tokenPrefix issued tokens are {@code <prefix>-access-N} / {@code <prefix>-refresh-N} */
    public RefreshServerSimulator(String tokenPrefix) {
        this(tokenPrefix, null);
    }

    /** Over TLS with {@code tls}'s certificate when not null ({@link TestCa#serverContext()}): the URLs are https. */
    public RefreshServerSimulator(String tokenPrefix, SSLContext tls) {
        this.tokenPrefix = tokenPrefix;
        this.scheme = tls == null ? "http" : "https";
        try {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            if (tls == null) {
                server = HttpServer.create(address, 0);
            } else {
                com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(address, 0);
                https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
                server = https;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext(NATIVE_PATH, ex -> handle(ex, true));
        server.createContext(CODEBUDDY_PATH, ex -> handle(ex, false));
        server.start();
    }

    public String hostAndPort() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    public String nativeUrl() {
        return scheme + "://" + hostAndPort() + NATIVE_PATH;
    }

    public String codebuddyUrl() {
        return scheme + "://" + hostAndPort() + CODEBUDDY_PATH;
    }

    /** Answer every request with this HTTP status (500, 401, …); 0 = answer normally. */
    public RefreshServerSimulator failWith(int status) {
        this.failStatus = status;
        return this;
    }

    public RefreshServerSimulator succeed() {
        return failWith(0);
    }

    /** Leave the refresh token out of successful answers (the client must keep using the old one). */
    public RefreshServerSimulator omitRefreshToken(boolean omit) {
        this.omitRefreshToken = omit;
        return this;
    }

    /** CodeBuddy answers carry {@code expiresAt} (epoch ms) instead of {@code expiresIn}. */
    public RefreshServerSimulator expiresAtStyle(boolean on) {
        this.expiresAtStyle = on;
        return this;
    }

    public RefreshServerSimulator expiresIn(long seconds) {
        this.expiresInSeconds = seconds;
        return this;
    }

    /** Only this refresh token (and afterwards only the latest issued one) is accepted. */
    public RefreshServerSimulator requireRefreshToken(String token) {
        this.acceptedRefreshToken = token;
        return this;
    }

    /** Requests wait until the returned latch is counted down (bounded by 10 s). */
    public CountDownLatch holdResponses() {
        CountDownLatch l = new CountDownLatch(1);
        gate = l;
        return l;
    }

    public int nativeCalls() {
        return nativeCalls.get();
    }

    public int codebuddyCalls() {
        return codebuddyCalls.get();
    }

    public int calls() {
        return nativeCalls.get() + codebuddyCalls.get();
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public Received last() {
        return received.get(received.size() - 1);
    }

    /** The access token the N-th successful refresh issued (1-based). */
    public String accessToken(int n) {
        return tokenPrefix + "-access-" + n;
    }

    public String refreshToken(int n) {
        return tokenPrefix + "-refresh-" + n;
    }

    private void handle(HttpExchange ex, boolean nativeProtocol) throws IOException {
        try (ex) {
            (nativeProtocol ? nativeCalls : codebuddyCalls).incrementAndGet();
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, List<String>> headers = new LinkedHashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), new ArrayList<>(v)));
            Map<String, String> form = nativeProtocol ? parseForm(body) : Map.of();
            Received r = new Received(ex.getRequestURI().getPath(), headers, body, form);
            received.add(r);
            CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (!"POST".equals(ex.getRequestMethod())) {
                send(ex, 405, "{\"error\":\"method_not_allowed\"}");
                return;
            }
            if (failStatus != 0) {
                send(
                        ex,
                        failStatus,
                        nativeProtocol
                                ? "{\"error\":\"server_error\",\"error_description\":\"simulated\"}"
                                : "{\"code\":" + failStatus + ",\"msg\":\"simulated failure\"}");
                return;
            }
            if (nativeProtocol) {
                handleNative(ex, r);
            } else {
                handleCodeBuddy(ex, r);
            }
        }
    }

    private void handleNative(HttpExchange ex, Received r) throws IOException {
        String ct = r.header("content-type");
        if (ct == null
                || !ct.startsWith("application/x-www-form-urlencoded")
                || !"refresh_token".equals(r.form().get("grant_type"))
                || r.form().get("client_id") == null
                || r.form().get("refresh_token") == null
                || r.header("oauth-token") == null) {
            send(ex, 400, "{\"error\":\"invalid_request\"}");
            return;
        }
        if (!refreshTokenAccepted(r.form().get("refresh_token"))) {
            send(ex, 401, "{\"error\":\"invalid_grant\",\"error_description\":\"refresh token invalid\"}");
            return;
        }
        int n = issue();
        ObjectNode out = JSON.createObjectNode();
        out.put("access_token", accessToken(n));
        if (!omitRefreshToken) {
            out.put("refresh_token", refreshToken(n));
        }
        out.put("expires_in", expiresInSeconds);
        out.put("token_type", "Bearer");
        send(ex, 200, out.toString());
    }

    private void handleCodeBuddy(HttpExchange ex, Received r) throws IOException {
        String auth = r.header("authorization");
        if (r.header("x-refresh-token") == null
                || !"plugin".equals(r.header("x-auth-refresh-source"))
                || auth == null
                || !auth.startsWith("Bearer ")) {
            send(ex, 400, "{\"code\":11001,\"msg\":\"missing refresh headers\"}");
            return;
        }
        if (!refreshTokenAccepted(r.header("x-refresh-token"))) {
            send(ex, 400, "{\"code\":11002,\"msg\":\"refresh token invalid or expired\"}");
            return;
        }
        int n = issue();
        ObjectNode out = JSON.createObjectNode();
        out.put("code", 0);
        out.put("msg", "OK");
        out.put("requestId", "req-" + n);
        ObjectNode data = out.putObject("data");
        data.put("accessToken", accessToken(n));
        if (!omitRefreshToken) {
            data.put("refreshToken", refreshToken(n));
        }
        if (expiresAtStyle) {
            data.put("expiresAt", System.currentTimeMillis() + expiresInSeconds * 1000);
        } else {
            data.put("expiresIn", expiresInSeconds);
        }
        data.put("refreshExpiresIn", 90L * 24 * 3600);
        data.put("tokenType", "Bearer");
        data.put("domain", "copilot.tencent.com");
        send(ex, 200, out.toString());
    }

    private synchronized boolean refreshTokenAccepted(String presented) {
        return acceptedRefreshToken == null || acceptedRefreshToken.equals(presented);
    }

    private synchronized int issue() {
        int n = issued.incrementAndGet();
        if (acceptedRefreshToken != null && !omitRefreshToken) {
            acceptedRefreshToken = refreshToken(n);
        }
        return n;
    }

    private static Map<String, String> parseForm(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        if (body.isEmpty()) {
            return form;
        }
        for (String pair : body.split("&", -1)) {
            if (pair.isEmpty()) {
                continue; // "a=1&" and "a=1&&b=2" carry no empty field, as form parsers read them
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            form.put(k, v);
        }
        return form;
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        CountDownLatch g = gate;
        if (g != null) {
            g.countDown();
        }
        server.stop(0);
        executor.shutdownNow();
    }
}
