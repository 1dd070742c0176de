package org.anthropicproxy.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PEM bundle of CA certificates, read the way OpenSSL, curl and Node read {@code SSL_CERT_FILE} and
 * {@code NODE_EXTRA_CA_CERTS}: every {@code BEGIN CERTIFICATE} block, whatever text is around them (the comments and
 * names of Mozilla-style bundles). A file that cannot be read, holds no certificate or a block that is not one is an
 * {@link IllegalArgumentException} naming the file. Guarded by {@code CaBundleTest}.
 */
public final class CaBundle {

    /** Larger than any real bundle (the Mozilla one is ~220 KB); a wrong path to a big file fails fast. */
    static final long MAX_BYTES = 16L * 1024 * 1024;

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN (TRUSTED )?CERTIFICATE-----(.*?)-----END (TRUSTED )?CERTIFICATE-----", Pattern.DOTALL);
    private static final Pattern BEGIN = Pattern.compile("-----BEGIN (TRUSTED )?CERTIFICATE-----");

    private CaBundle() {}

    /**
     * @param file  the bundle
     * @param named how the user named it, for messages ({@code SSL_CERT_FILE}, {@code tls.ca_file})
     */
    public static List<X509Certificate> read(Path file, String named) {
        String text;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new IllegalArgumentException(named + ": " + file + " is larger than " + MAX_BYTES / (1024 * 1024)
                        + " MB, not a PEM bundle of CA certificates");
            }
            text = Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IllegalArgumentException(named + ": cannot read the CA bundle " + file + " ("
                    + e.getClass().getSimpleName()
                    + (e.getMessage() == null || e.getMessage().equals(file.toString()) ? "" : ": " + e.getMessage())
                    + ")");
        }
        List<X509Certificate> certs = new ArrayList<>();
        CertificateFactory x509;
        try {
            x509 = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("no X.509 support in this JVM", e);
        }
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            int n = certs.size() + 1;
            try {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                if (m.group(1) != null) {
                    // OpenSSL's TRUSTED CERTIFICATE: the certificate, then its trust settings; the first is enough
                    der = firstDerElement(der);
                }
                certs.add((X509Certificate) x509.generateCertificate(new ByteArrayInputStream(der)));
            } catch (CertificateException | IllegalArgumentException | ClassCastException e) {
                throw new IllegalArgumentException(named + ": certificate " + n + " in " + file
                        + " is not a valid X.509 certificate (" + e.getMessage() + ")");
            }
        }
        if (BEGIN.matcher(text).results().count() != certs.size()) {
            throw new IllegalArgumentException(named + ": certificate " + (certs.size() + 1) + " in " + file
                    + " has no -----END CERTIFICATE----- line");
        }
        if (certs.isEmpty()) {
            throw new IllegalArgumentException(named + ": " + file
                    + " holds no PEM certificate (-----BEGIN CERTIFICATE-----); give a PEM bundle of CA certificates");
        }
        return List.copyOf(certs);
    }

    /** The first DER element of {@code der}: a tag, a length (short or long form), that many bytes. */
    private static byte[] firstDerElement(byte[] der) {
        if (der.length < 2) {
            throw new IllegalArgumentException("truncated");
        }
        int len = der[1] & 0xff;
        int header = 2;
        if (len > 0x80) {
            int octets = len & 0x7f;
            if (octets > 4 || der.length < 2 + octets) {
                throw new IllegalArgumentException("bad length");
            }
            len = 0;
            for (int i = 0; i < octets; i++) {
                len = (len << 8) | (der[2 + i] & 0xff);
            }
            header += octets;
        }
        if (len < 0 || header + len > der.length) {
            throw new IllegalArgumentException("truncated");
        }
        return Arrays.copyOf(der, header + len);
    }
}
