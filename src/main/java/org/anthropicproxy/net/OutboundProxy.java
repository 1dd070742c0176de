package org.anthropicproxy.net;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * A forward proxy to reach upstreams through. HTTP: {@code CONNECT} tunnels for https, absolute-form requests for
 * http, {@code Proxy-Authorization: Basic} from the URL's user info. SOCKS5: a tunnel for both, the upstream's name
 * resolved by the proxy ({@code socks5h}) or here ({@code socks5}), username/password authentication from the user
 * info. {@link #toString()} never shows the credentials.
 *
 * @param user     from the URL's user info, or null
 * @param password from the URL's user info ("" when only a user is given), or null
 */
public record OutboundProxy(Kind kind, String host, int port, String user, String password) {

    /** The URL schemes understood, as curl names them. */
    public enum Kind {
        HTTP("http"),
        SOCKS5("socks5"),
        SOCKS5H("socks5h");

        final String scheme;

        Kind(String scheme) {
            this.scheme = scheme;
        }

        public boolean socks() {
            return this != HTTP;
        }
    }

    /** The {@code Proxy-Authorization} value for an HTTP proxy with credentials, else null. */
    public String authorization() {
        return kind != Kind.HTTP || user == null
                ? null
                : "Basic "
                        + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Parses a proxy URL as curl does: {@code http://}, {@code socks5://} or {@code socks5h://[user:pass@]host[:port]},
     * the scheme optional (http), port 1080 by default as in curl; user and password percent-decoded.
     *
     * @throws IllegalArgumentException naming {@code where} and what is wrong, never the password
     */
    public static OutboundProxy parse(String url, String where) {
        String s = url.strip();
        if (!s.contains("://")) {
            s = "http://" + s;
        }
        URI u;
        try {
            u = new URI(s);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(where + ": '" + redacted(url) + "' is not a proxy URL");
        }
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        Kind kind = switch (scheme) {
            case "http" -> Kind.HTTP;
            case "socks5" -> Kind.SOCKS5;
            case "socks5h" -> Kind.SOCKS5H;
            default ->
                throw new IllegalArgumentException(where + ": " + scheme + ":// proxies are not supported; give an "
                        + "http://, socks5:// or socks5h:// proxy");
        };
        if (u.getHost() == null || u.getHost().isEmpty()) {
            throw new IllegalArgumentException(where + ": '" + redacted(url) + "' names no proxy host");
        }
        String user = null;
        String pass = null;
        String info = u.getRawUserInfo();
        if (info != null && !info.isEmpty()) {
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            pass = colon < 0 ? "" : decode(info.substring(colon + 1));
        }
        String host = u.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new OutboundProxy(kind, host, u.getPort() > 0 ? u.getPort() : 1080, user, pass);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String redacted(String url) {
        return url.replaceAll("//[^/@]*@", "//***@");
    }

    /** {@code host:port}, for messages. */
    public String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** {@code http://host:port} (or {@code socks5h://…}): what {@code /health} and messages show. */
    @Override
    public String toString() {
        return kind.scheme + "://" + address();
    }
}
