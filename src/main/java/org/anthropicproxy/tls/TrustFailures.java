package org.anthropicproxy.tls;

import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;

/**
 * Turns a failed TLS handshake caused by the server's certificate into a sentence that says so and names the
 * setting that fixes it, instead of the JDK's "PKIX path building failed". Guarded by {@code PrivateCaIT}.
 */
public final class TrustFailures {

    private static final String FIX_CA =
            "if a private CA or a TLS-inspecting proxy signed it, add that CA's PEM bundle "
                    + "with tls.ca_file (top level or providers.NAME.tls.ca_file) or the SSL_CERT_FILE environment variable";
    private static final String FIX_SKIP =
            "providers.NAME.tls.insecure_skip_verify: true turns checking off for one " + "upstream (testing only)";

    private TrustFailures() {}

    /**
     * The explanation when {@code failure} (or a cause of it) is a rejected server certificate, else empty.
     *
     * @param hostPort what was dialled, as the message names it ({@code upstream api.example.com:443})
     */
    @SuppressWarnings("ReferenceEquality") // a throwable that is its own cause ends the chain: identity is the test
    public static Optional<String> explain(Throwable failure, String hostPort) {
        boolean handshake = false;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SSLHandshakeException) {
                handshake = true;
            }
            if (!handshake) {
                continue;
            }
            String m = t.getMessage() == null ? "" : t.getMessage();
            if (t instanceof CertPathBuilderException) {
                return Optional.of("the TLS certificate of " + hostPort + " is not trusted: no trusted CA issued it ("
                        + "PKIX path building failed); " + FIX_CA + "; " + FIX_SKIP);
            }
            if (t instanceof CertPathValidatorException) {
                return Optional.of("the TLS certificate of " + hostPort + " is not trusted (" + m + "); " + FIX_CA
                        + "; " + FIX_SKIP);
            }
            if (t instanceof CertificateException
                    && (m.startsWith("No subject alternative") || m.startsWith("No name matching"))) {
                return Optional.of("the TLS certificate of " + hostPort + " is not valid for that host name (" + m
                        + "); use the host name the certificate names in base_url, or " + FIX_SKIP);
            }
        }
        return Optional.empty();
    }
}
