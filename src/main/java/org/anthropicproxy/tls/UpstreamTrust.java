package org.anthropicproxy.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.anthropicproxy.config.ConfigException;
import org.anthropicproxy.files.UserDirs;

/**
 * Which certificates each upstream's TLS trusts: the JDK's trust store (cacerts, or {@code javax.net.ssl.trustStore})
 * plus the CA bundles the environment names the way curl, Python and Node tools read them ({@link #ENV_BUNDLES}),
 * plus {@code tls.ca_file} at the top level, plus the provider's own {@code tls.ca_file}; or nothing checked at all
 * when the provider sets {@code tls.insecure_skip_verify}. Every bundle is read at start, so an unreadable or
 * malformed one stops the start naming the file ({@link ConfigException}). The same context serves the provider's
 * upstream calls and its token refreshes. Guarded by {@code PrivateCaIT}.
 */
public final class UpstreamTrust {

    /** Environment variables naming extra CA bundles, in the order they are added. */
    public static final List<String> ENV_BUNDLES =
            List.of("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS");

    /**
     * What one provider's connections use.
     *
     * @param caFiles the extra bundles, each as {@code path (where it was named)}, for {@code /health}
     */
    public record Profile(SSLContext context, List<String> caFiles, boolean insecureSkipVerify) {

        public boolean isDefault() {
            return caFiles.isEmpty() && !insecureSkipVerify;
        }
    }

    private record Bundle(Path file, String named, List<X509Certificate> certs) {
        String shown() {
            return file + " (" + named + ")";
        }
    }

    private final UserDirs dirs;
    private final String where;
    private final List<Bundle> common;
    private final Map<List<Path>, Profile> profiles = new HashMap<>();
    private Profile insecure;

    private UpstreamTrust(UserDirs dirs, String where, List<Bundle> common) {
        this.dirs = dirs;
        this.where = where;
        this.common = common;
    }

    /** Reads the environment's bundles and the top-level {@code tls} block. */
    public static UpstreamTrust load(Map<String, Object> topTls, Map<String, String> env, UserDirs dirs, String where) {
        TlsSettings top = TlsSettings.fromMap(topTls, "tls", where, false);
        List<Bundle> common = new ArrayList<>();
        for (String name : ENV_BUNDLES) {
            String v = env.get(name);
            if (v != null && !v.isBlank()) {
                add(common, dirs.expand(v.strip()), "environment variable " + name);
            }
        }
        for (String f : top.caFiles()) {
            add(common, dirs.expand(f), "tls.ca_file in " + where);
        }
        return new UpstreamTrust(dirs, where, List.copyOf(common));
    }

    private static void add(List<Bundle> to, Path file, String named) {
        Path abs = file.toAbsolutePath().normalize();
        if (to.stream().anyMatch(b -> b.file().equals(abs))) {
            return; // SSL_CERT_FILE and REQUESTS_CA_BUNDLE often name the same file
        }
        try {
            to.add(new Bundle(abs, named, CaBundle.read(abs, named)));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /** The profile of provider {@code name} with its raw {@code tls} block (null or empty for none). */
    public synchronized Profile forProvider(String name, Map<String, Object> providerTls) {
        TlsSettings own = TlsSettings.fromMap(providerTls, "providers." + name + ".tls", where, true);
        List<Bundle> bundles = new ArrayList<>(common);
        for (String f : own.caFiles()) {
            add(bundles, dirs.expand(f), "providers." + name + ".tls.ca_file in " + where);
        }
        if (own.insecureSkipVerify()) {
            if (insecure == null) {
                insecure = new Profile(Contexts.trustingAll(), List.of(), true);
            }
            return insecure;
        }
        List<Path> key = bundles.stream().map(Bundle::file).toList();
        Profile p = profiles.get(key);
        if (p == null) {
            p = new Profile(
                    bundles.isEmpty()
                            ? Contexts.jdkDefault()
                            : Contexts.withExtra(bundles.stream()
                                    .flatMap(b -> b.certs().stream())
                                    .toList()),
                    bundles.stream().map(Bundle::shown).toList(),
                    false);
            profiles.put(key, p);
        }
        return p;
    }

    /** The contexts: the JDK's own, the JDK's anchors plus more, or one that checks nothing. */
    static final class Contexts {
        private Contexts() {}

        static SSLContext jdkDefault() {
            try {
                return SSLContext.getDefault();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("no default TLS context", e);
            }
        }

        static SSLContext withExtra(List<X509Certificate> extra) {
            try {
                TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                jdk.init((KeyStore) null);
                KeyStore anchors = KeyStore.getInstance("PKCS12");
                anchors.load(null, null);
                Map<String, X509Certificate> all = new LinkedHashMap<>();
                for (TrustManager tm : jdk.getTrustManagers()) {
                    if (tm instanceof X509TrustManager x) {
                        for (X509Certificate c : x.getAcceptedIssuers()) {
                            all.putIfAbsent("jdk-" + all.size(), c);
                        }
                    }
                }
                for (X509Certificate c : extra) {
                    all.put("extra-" + all.size(), c);
                }
                for (Map.Entry<String, X509Certificate> e : all.entrySet()) {
                    anchors.setCertificateEntry(e.getKey(), e.getValue());
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(anchors);
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(null, tmf.getTrustManagers(), null);
                return ctx;
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException("cannot build a TLS trust store with the extra CA certificates", e);
            }
        }

        static SSLContext trustingAll() {
            try {
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(null, new TrustManager[] {new TrustingAll()}, null);
                return ctx;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot build a TLS context", e);
            }
        }
    }

    /**
     * Accepts every certificate for every host name: an extended trust manager, so the JDK leaves host name checks
     * to it too (and it makes none).
     */
    private static final class TrustingAll extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
