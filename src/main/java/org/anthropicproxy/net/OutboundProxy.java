package org.anthropicproxy.net;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * An HTTP forward proxy to reach upstreams through: {@code CONNECT} tunnels for https, absolute-form requests for
 * http, {@code Proxy-Authorization: Basic} from the URL's user info. {@link #toString()} never shows the credentials.
 *
 * @param authorization the {@code Proxy-Authorization} value, or null
 */
public record OutboundProxy(String host, int port, String authorization) {

    /**
     * Parses a proxy URL as curl does: {@code http://[user:pass@]host[:port]}, the scheme optional (http), port 1080
     * by default as in curl; user and password percent-decoded.
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
        if (!scheme.equals("http")) {
            throw new IllegalArgumentException(where + ": " + scheme + ":// proxies are not supported; give an http:// "
                    + "forward proxy (https upstreams go through it in a CONNECT tunnel)");
        }
        if (u.getHost() == null || u.getHost().isEmpty()) {
            throw new IllegalArgumentException(where + ": '" + redacted(url) + "' names no proxy host");
        }
        String auth = null;
        String info = u.getRawUserInfo();
        if (info != null && !info.isEmpty()) {
            int colon = info.indexOf(':');
            String user = decode(colon < 0 ? info : info.substring(0, colon));
            String pass = colon < 0 ? "" : decode(info.substring(colon + 1));
            auth = "Basic " + Base64.getEncoder().encodeToString((user + ":" + pass).getBytes(StandardCharsets.UTF_8));
        }
        String host = u.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new OutboundProxy(host, u.getPort() > 0 ? u.getPort() : 1080, auth);
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

    /** {@code http://host:port}: what {@code /health} and messages show. */
    @Override
    public String toString() {
        return "http://" + address();
    }
}
