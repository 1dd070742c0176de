package org.anthropicproxy.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.anthropicproxy.ProxyApp;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.config.ConfigLoader;
import org.anthropicproxy.config.ProxyConfig;

/** A proxy started in-process on a free loopback port from a YAML config, plus a raw HTTP client for it. */
public final class ProxyHarness implements AutoCloseable {

    private final ProxyApp app;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ProxyHarness(ProxyApp app) {
        this.app = app;
    }

    public static ProxyHarness start(String yaml) {
        return start(yaml, Map.of(), CliOverrides.none());
    }

    @SuppressWarnings("JavaTimeDefaultTimeZone") // as in production: quota resets follow the user's local week
    public static ProxyHarness start(String yaml, Map<String, String> env, CliOverrides cli) {
        return start(yaml, env, cli, Clock.systemDefaultZone());
    }

    public static ProxyHarness start(String yaml, Map<String, String> env, CliOverrides cli, Clock clock) {
        try {
            Path file = Files.createTempFile("proxy-config", ".yaml");
            Files.writeString(file, yaml);
            String quota = cli.quotaFile() != null
                    ? cli.quotaFile()
                    : Files.createTempDirectory("proxy-quota")
                            .resolve("quota_state.json")
                            .toString();
            CliOverrides withPort = new CliOverrides(
                    cli.host(),
                    cli.port() == null ? 0 : cli.port(),
                    cli.provider(),
                    cli.logFile(),
                    cli.logLevel(),
                    quota);
            ProxyConfig cfg = new ConfigLoader(env).load(file, withPort);
            return new ProxyHarness(ProxyApp.start(cfg, env, clock));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + app.port();
    }

    public int port() {
        return app.port();
    }

    public ProxyApp app() {
        return app;
    }

    public HttpResponse<String> post(String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b.build());
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(20))
                .GET()
                .build());
    }

    public HttpResponse<String> request(String method, String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build());
    }

    private HttpResponse<String> send(HttpRequest r) {
        try {
            return http.send(r, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        app.close();
    }
}
