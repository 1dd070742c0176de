package org.anthropicproxy.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.ProxyApp;
import org.anthropicproxy.ProxyAppAccess;
import org.anthropicproxy.cli.Main;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.config.ConfigException;
import org.anthropicproxy.config.ConfigLoader;
import org.anthropicproxy.config.ProxyConfig;
import org.anthropicproxy.testkit.Fixtures;
import org.anthropicproxy.testkit.UpstreamScript;
import org.anthropicproxy.testkit.UpstreamSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What HardeningIT's auth matrix leaves out: the start-up decision for non-loopback addresses with and without keys
 * (tested without listening on a reachable address: 203.0.113.1 is TEST-NET-3, never assigned, so a start that gets
 * past the decision fails to bind), other loopback addresses, admin-only keys, and how keys are presented.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthMatrixIT {

    private static final String UNASSIGNED = "203.0.113.1";
    private static final String BODY =
            "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    Path dir;

    private UpstreamSimulator upstream;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void up() {
        upstream = new UpstreamSimulator(r -> UpstreamScript.json(200, Fixtures.text("anthropic/message-text.json")));
    }

    @AfterEach
    void down() {
        upstream.close();
    }

    private Path config(String keys) throws Exception {
        Path file = dir.resolve("config.yaml");
        Files.writeString(
                file,
                "providers:\n  sim: {kind: anthropic, base_url: \"" + upstream.baseUrl() + "\", api_key: up}\n"
                        + "route: [sim]\n" + keys);
        return file;
    }

    /** Starts (and at once closes) a proxy; what stopped it, or null when it started. */
    private Throwable startOn(String host, String keys, boolean allowUnauthenticated) throws Exception {
        ProxyConfig cfg = new ConfigLoader(Map.of())
                .load(
                        config(keys),
                        new CliOverrides(
                                host,
                                0,
                                null,
                                null,
                                null,
                                dir.resolve("quota.json").toString(),
                                allowUnauthenticated));
        try (ProxyApp app = ProxyApp.start(cfg, Map.of())) {
            return null; // the host accepted a bind to the address (ip_nonlocal_bind): the decision was still "allowed"
        } catch (Exception e) {
            return e;
        }
    }

    @ParameterizedTest(name = "keys [{0}], --allow-unauthenticated={1} -> {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                "|false|refused",
                "|true|allowed",
                "client_keys: [c1]|false|allowed",
                "admin_keys: [a1]|false|allowed",
                "client_keys: [c1]\\nadmin_keys: [a1]|false|allowed",
            })
    void nonLoopbackNeedsKeysOrTheExplicitFlag(String keys, boolean allow, String decision) throws Exception {
        Throwable t = startOn(UNASSIGNED, keys == null ? "" : keys.replace("\\n", "\n") + "\n", allow);
        if (decision.equals("refused")) {
            assertThat(t)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("client_keys")
                    .hasMessageContaining("--allow-unauthenticated")
                    .hasMessageContaining(UNASSIGNED);
        } else {
            // past the decision: either it could not bind the unassigned address, or the system let it
            assertThat(t).as("not refused by the key rule").isNotInstanceOf(ConfigException.class);
            if (t != null) {
                assertThat(t).isInstanceOf(IOException.class);
            }
        }
    }

    @Test
    void theCommandLineRefusesANonLoopbackAddressWithoutKeysWithExitCode2() throws Exception {
        Path cfg = config("");
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(
                    "--config",
                    cfg.toString(),
                    "--host",
                    UNASSIGNED,
                    "--port",
                    "0",
                    "--quota-file",
                    dir.resolve("q.json").toString(),
                    "--log-file",
                    dir.resolve("p.log").toString());
        } finally {
            System.setErr(err);
        }
        assertThat(code).isEqualTo(Main.EXIT_USAGE);
        assertThat(captured.toString(StandardCharsets.UTF_8)).contains("refusing to listen on " + UNASSIGNED);
    }

    @Test
    void whatCountsAsLoopback() {
        assertThat(ProxyAppAccess.isLoopback("127.0.0.2")).isTrue();
        assertThat(ProxyAppAccess.isLoopback("::1")).isTrue();
        assertThat(ProxyAppAccess.isLoopback(UNASSIGNED)).isFalse();
        assertThat(ProxyAppAccess.isLoopback("no-such-host.invalid")).isFalse();
    }

    @Test
    void anotherLoopbackAddressServesWithoutKeys() throws Exception {
        ProxyConfig cfg = new ConfigLoader(Map.of())
                .load(
                        config(""),
                        new CliOverrides(
                                "127.0.0.2",
                                0,
                                null,
                                null,
                                null,
                                dir.resolve("quota.json").toString()));
        try (ProxyApp app = ProxyApp.start(cfg, Map.of())) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.2:" + app.port() + "/v1/messages"))
                            .timeout(Duration.ofSeconds(10))
                            .POST(HttpRequest.BodyPublishers.ofString(BODY))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
        }
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                "admin-only config, no key|" + "|401",
                "admin-only config, admin key as x-api-key|x-api-key=a1|200",
                "admin-only config, some other key|x-api-key=c1|401",
            })
    void adminKeysAloneAlsoGuardTheApi(String name, String header, int status) throws Exception {
        assertThat(send("admin_keys: [a1]\n", "/v1/messages", header).statusCode())
                .isEqualTo(status);
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                "lower-case bearer scheme|authorization=bearer c1|200",
                "key with surrounding spaces|x-api-key=  c1  |200",
                "wrong x-api-key wins over a right bearer|x-api-key=wrong;authorization=Bearer c1|401",
                "right x-api-key with a wrong bearer|x-api-key=c1;authorization=Bearer wrong|200",
                "Basic scheme is not a key|authorization=Basic YzE6|401",
                "bearer without a value|authorization=Bearer |401",
                "client key on admin endpoint|x-api-key=c1|401",
            })
    void howKeysArePresented(String name, String headers, int status) throws Exception {
        String path = name.contains("admin endpoint") ? "/v1/quota" : "/v1/messages";
        HttpResponse<String> r = send("client_keys: [c1]\nadmin_keys: [a1]\n", path, headers);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        if (status == 401) {
            assertThat(r.body())
                    .contains("\"type\":\"authentication_error\"")
                    .doesNotContain("c1\"")
                    .doesNotContain("wrong");
        }
    }

    private HttpResponse<String> send(String keys, String path, String headers) throws Exception {
        ProxyConfig cfg = new ConfigLoader(Map.of())
                .load(
                        config(keys),
                        new CliOverrides(
                                null,
                                0,
                                null,
                                null,
                                null,
                                dir.resolve("quota.json").toString()));
        try (ProxyApp app = ProxyApp.start(cfg, Map.of())) {
            boolean get = path.equals("/v1/quota");
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                    .timeout(Duration.ofSeconds(10))
                    .method(
                            get ? "GET" : "POST",
                            get ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(BODY));
            if (headers != null) {
                for (String h : headers.split(";", -1)) {
                    String[] kv = h.split("=", 2);
                    b.header(kv[0], kv[1]);
                }
            }
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
