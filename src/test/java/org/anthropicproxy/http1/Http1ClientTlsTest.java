package org.anthropicproxy.http1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lean client over TLS, against Jetty's TLS server with a certificate made for the test (keytool): bodies over
 * many records both ways, kept-alive connections, and a server the client does not trust.
 */
@Timeout(60)
class Http1ClientTlsTest {

    @TempDir
    static Path dir;

    private static Server server;
    private static int port;
    private static SSLContext trusting;

    @BeforeAll
    static void start() throws Exception {
        Path keystore = dir.resolve("server.p12");
        String keytool =
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(
                        keytool,
                        "-genkeypair",
                        "-alias",
                        "upstream",
                        "-keyalg",
                        "EC",
                        "-groupname",
                        "secp256r1",
                        "-dname",
                        "CN=localhost",
                        "-ext",
                        "SAN=dns:localhost,ip:127.0.0.1",
                        "-validity",
                        "2",
                        "-keystore",
                        keystore.toString(),
                        "-storetype",
                        "PKCS12",
                        "-storepass",
                        "secret",
                        "-keypass",
                        "secret")
                .redirectErrorStream(true)
                .start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue())
                .as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isZero();

        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setKeyStorePath(keystore.toString());
        tls.setKeyStorePassword("secret");
        server = new Server();
        ServerConnector connector = new ServerConnector(
                server, new SslConnectionFactory(tls, "http/1.1"), new HttpConnectionFactory(new HttpConfiguration()));
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                byte[] body = Content.Source.asInputStream(request).readAllBytes();
                if (request.getHttpURI().getPath().equals("/big")) {
                    // a streamed answer of 2 MB in 64 KB writes: many TLS records, chunked
                    byte[] part = "0123456789abcdef".repeat(4096).getBytes(StandardCharsets.ISO_8859_1);
                    for (int i = 0; i < 31; i++) {
                        org.eclipse.jetty.util.Blocker.Callback cb = org.eclipse.jetty.util.Blocker.callback();
                        response.write(false, ByteBuffer.wrap(part), cb);
                        cb.block();
                        cb.close();
                    }
                    response.write(true, ByteBuffer.wrap(part), callback);
                    return true;
                }
                response.write(true, ByteBuffer.wrap(body), callback);
                return true;
            }
        });
        server.start();
        port = connector.getLocalPort();

        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            trust.load(in, "secret".toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        trusting = SSLContext.getInstance("TLS");
        trusting.init(null, tmf.getTrustManagers(), null);
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop();
    }

    private static String bodyOf(ClientExchange x) throws IOException {
        try (InputStream in = Content.Source.asInputStream(x.body())) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void bodiesOfManyRecordsGoBothWaysOnAKeptAliveConnection() throws Exception {
        try (Http1Client client =
                new Http1Client("tls-test", Duration.ofSeconds(5), Duration.ofSeconds(30), 64 * 1024, trusting)) {
            for (int i = 0; i < 5; i++) {
                String body = ("{\"i\":" + i + "}").repeat(30_000 * (i + 1)); // 180 KB to 900 KB
                ClientExchange x = client.send(
                        URI.create("https://127.0.0.1:" + port + "/echo"),
                        "POST",
                        HttpFields.build(),
                        body.getBytes(StandardCharsets.ISO_8859_1),
                        Duration.ofSeconds(10),
                        Duration.ofSeconds(30));
                assertThat(x.head().get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
                assertThat(bodyOf(x)).isEqualTo(body);
            }
            ClientExchange big = client.send(
                    URI.create("https://localhost:" + port + "/big"),
                    "GET",
                    HttpFields.build(),
                    null,
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(30));
            assertThat(big.head().get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
            assertThat(bodyOf(big)).isEqualTo("0123456789abcdef".repeat(4096 * 32));
            // the 127.0.0.1 connection was reused for all five; localhost is another destination
            assertThat(client.openConnections()).isEqualTo(2);
        }
    }

    @Test
    void aServerWhoseCertificateIsNotTrustedIsNotTalkedTo() throws Exception {
        try (Http1Client client = new Http1Client(
                "tls-test", Duration.ofSeconds(5), Duration.ofSeconds(30), 64 * 1024, SSLContext.getDefault())) {
            ClientExchange x = client.send(
                    URI.create("https://127.0.0.1:" + port + "/echo"),
                    "POST",
                    HttpFields.build(),
                    "{}".getBytes(StandardCharsets.UTF_8),
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(30));
            assertThatThrownBy(() -> x.head().get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(SSLHandshakeException.class);
        }
    }
}
