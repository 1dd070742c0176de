package org.anthropicproxy.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * A private CA made for the test run with the JDK's keytool, and a server certificate for {@code localhost} and
 * {@code 127.0.0.1} that it signed: what a company CA or a TLS-inspecting proxy looks like to the proxy. Nothing
 * trusts the CA unless a test hands over {@link #caPem()}. Made with seven keytool runs, then reused.
 */
public final class TestCa {

    private static final String PASS = "secret";
    private static TestCa instance;

    private final Path caPem;
    private final Path serverKeystore;

    private TestCa(Path caPem, Path serverKeystore) {
        this.caPem = caPem;
        this.serverKeystore = serverKeystore;
    }

    /** Kept in {@code target/test-ca} between runs while it is younger than a day (its certificates last two). */
    public static synchronized TestCa get() {
        if (instance == null) {
            try {
                Path kept = Path.of("target", "test-ca").toAbsolutePath();
                Path keystore = kept.resolve("server.p12");
                Instant dayAgo = Instant.now().minus(Duration.ofDays(1));
                if (Files.isRegularFile(keystore)
                        && Files.isRegularFile(kept.resolve("ca.pem"))
                        && Files.getLastModifiedTime(keystore).toInstant().isAfter(dayAgo)) {
                    instance = new TestCa(kept.resolve("ca.pem"), keystore);
                } else if (Files.isDirectory(kept.getParent())) {
                    Path fresh = create(Files.createTempDirectory(kept.getParent(), "test-ca-"))
                            .caPem
                            .getParent();
                    if (Files.isDirectory(kept)) {
                        try (var files = Files.list(kept)) {
                            for (Path f : files.toList()) {
                                Files.delete(f);
                            }
                        }
                        Files.delete(kept);
                    }
                    Files.move(fresh, kept, StandardCopyOption.ATOMIC_MOVE);
                    instance = new TestCa(kept.resolve("ca.pem"), keystore);
                } else {
                    instance = create(Files.createTempDirectory("test-ca"));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    private static TestCa create(Path dir) throws IOException {
        Path ca = dir.resolve("ca.p12");
        Path caPem = dir.resolve("ca.pem");
        Path server = dir.resolve("server.p12");
        Path csr = dir.resolve("server.csr");
        Path cert = dir.resolve("server.pem");
        keytool(
                "-genkeypair",
                "-alias",
                "ca",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=anthropic-proxy test CA",
                "-ext",
                "bc:c",
                "-validity",
                "3",
                "-keystore",
                ca.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                PASS);
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                "ca",
                "-keystore",
                ca.toString(),
                "-storepass",
                PASS,
                "-file",
                caPem.toString());
        keytool(
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-validity",
                "3",
                "-keystore",
                server.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                PASS);
        keytool(
                "-certreq",
                "-alias",
                "server",
                "-keystore",
                server.toString(),
                "-storepass",
                PASS,
                "-file",
                csr.toString());
        keytool(
                "-gencert",
                "-rfc",
                "-alias",
                "ca",
                "-keystore",
                ca.toString(),
                "-storepass",
                PASS,
                "-infile",
                csr.toString(),
                "-outfile",
                cert.toString(),
                "-validity",
                "2",
                "-ext",
                "SAN=dns:localhost,ip:127.0.0.1",
                "-ext",
                "EKU=serverAuth");
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "ca",
                "-file",
                caPem.toString(),
                "-keystore",
                server.toString(),
                "-storepass",
                PASS);
        keytool(
                "-importcert",
                "-alias",
                "server",
                "-file",
                cert.toString(),
                "-keystore",
                server.toString(),
                "-storepass",
                PASS);
        return new TestCa(caPem, server);
    }

    private static void keytool(String... args) throws IOException {
        String keytool =
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        List<String> cmd = new ArrayList<>(List.of(keytool));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("keytool " + args[0] + " timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (p.exitValue() != 0) {
            throw new IOException("keytool " + String.join(" ", args) + " failed: " + out);
        }
    }

    /** The CA certificate, PEM: what {@code tls.ca_file} or {@code SSL_CERT_FILE} names. */
    public Path caPem() {
        return caPem;
    }

    /** For a Jetty TLS connector: the server key and its chain. */
    public SslContextFactory.Server jettyServer() {
        SslContextFactory.Server f = new SslContextFactory.Server();
        f.setKeyStorePath(serverKeystore.toString());
        f.setKeyStorePassword(PASS);
        f.setCertAlias("server");
        return f;
    }

    /** For the JDK's HttpsServer. */
    public SSLContext serverContext() {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(serverKeystore)) {
                ks.load(in, PASS.toCharArray());
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, PASS.toCharArray());
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
