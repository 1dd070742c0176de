package org.anthropicproxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.anthropicproxy.testkit.TestCa;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class CaBundleTest {

    @TempDir
    Path dir;

    private final String pem = read(TestCa.get().caPem());

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path file(String content) throws Exception {
        Path f = dir.resolve("bundle.pem");
        Files.writeString(f, content);
        return f;
    }

    @Test
    void readsEveryCertificateWhateverTextSurroundsThem() throws Exception {
        // the layout of curl's cacert.pem: a header, then a name and a rule before each certificate
        Path f = file("##\n## Bundle of CA Root Certificates\n##\n\nTest CA one\n===========\n" + pem
                + "\nTest CA two\n===========\n" + pem.replace("\n", "\r\n"));
        List<X509Certificate> certs = CaBundle.read(f, "SSL_CERT_FILE");
        assertThat(certs).hasSize(2);
        assertThat(certs.get(0).getSubjectX500Principal().getName()).isEqualTo("CN=anthropic-proxy test CA");
    }

    @Test
    void aFileWithoutCertificatesIsRefusedNamingIt() throws Exception {
        Path f = file("this is not a bundle\n");
        assertThatThrownBy(() -> CaBundle.read(f, "tls.ca_file"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tls.ca_file")
                .hasMessageContaining(f.toString())
                .hasMessageContaining("no PEM certificate");
        Path empty = file("");
        assertThatThrownBy(() -> CaBundle.read(empty, "tls.ca_file")).hasMessageContaining("no PEM certificate");
    }

    @Test
    void aBrokenBlockIsRefusedNamingItsPosition() throws Exception {
        Path garbled =
                file(pem + pem.replaceFirst("(?s)(-----BEGIN CERTIFICATE-----\\R)(.{20})", "$1!!!!garbage!!!!$2"));
        assertThatThrownBy(() -> CaBundle.read(garbled, "NODE_EXTRA_CA_CERTS"))
                .hasMessageContaining("NODE_EXTRA_CA_CERTS")
                .hasMessageContaining("certificate 2")
                .hasMessageContaining(garbled.toString());
        Path unterminated = file(pem + pem.substring(0, pem.indexOf("-----END")));
        assertThatThrownBy(() -> CaBundle.read(unterminated, "tls.ca_file"))
                .hasMessageContaining("no -----END CERTIFICATE-----");
    }

    @Test
    void aMissingOrUnreadableFileIsRefusedNamingIt() throws Exception {
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> CaBundle.read(missing, "SSL_CERT_FILE"))
                .hasMessageContaining("cannot read")
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("NoSuchFileException");
        assertThatThrownBy(() -> CaBundle.read(dir, "SSL_CERT_FILE"))
                .hasMessageContaining("cannot read")
                .hasMessageContaining(dir.toString());
    }
}
