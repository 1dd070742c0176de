package org.anthropicproxy.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** The shapes the JDK gives a rejected certificate (PrivateCaIT meets the first for real). */
class TrustFailuresTest {

    private static SSLHandshakeException handshake(Throwable cause) {
        SSLHandshakeException e = new SSLHandshakeException(cause.getMessage());
        e.initCause(cause);
        return e;
    }

    @Test
    void anUnknownIssuerNamesTheCaSettings() {
        // the JDK wraps it in its ValidatorException (a CertificateException) first
        Throwable pkix = handshake(new CertificateException(
                "PKIX path building failed",
                new CertPathBuilderException("unable to find valid certification path to requested target")));
        assertThat(TrustFailures.explain(new IOException(pkix), "upstream h:443"))
                .hasValueSatisfying(m -> assertThat(m)
                        .startsWith("the TLS certificate of upstream h:443 is not trusted")
                        .contains("tls.ca_file")
                        .contains("SSL_CERT_FILE"));
    }

    @Test
    void aNameMismatchSaysSoAndNamesBaseUrl() {
        Throwable mismatch =
                handshake(new CertificateException("No subject alternative DNS name matching api.example found."));
        assertThat(TrustFailures.explain(mismatch, "upstream api.example:443"))
                .hasValueSatisfying(m -> assertThat(m)
                        .contains("not valid for that host name")
                        .contains("base_url")
                        .contains("insecure_skip_verify"));
    }

    @Test
    void otherFailuresAreNotExplained() {
        assertThat(TrustFailures.explain(new IOException("connection reset"), "upstream h:443"))
                .isEmpty();
        assertThat(TrustFailures.explain(
                        new SSLHandshakeException("Received fatal alert: handshake_failure"), "upstream h:443"))
                .isEmpty();
        // a certificate problem outside a handshake is not a trust decision
        assertThat(TrustFailures.explain(new CertificateException("No subject alternative DNS name"), "x"))
                .isEmpty();
    }
}
