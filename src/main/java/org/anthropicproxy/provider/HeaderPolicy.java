package org.anthropicproxy.provider;

import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;

/** Which headers cross the proxy, in each direction. */
public final class HeaderPolicy {

    /** Hop-by-hop (RFC 9110 §7.6.1) plus those the proxy sets itself. */
    private static final Set<String> NOT_FORWARDED_UP = Set.of(
            "host",
            "content-length",
            "connection",
            "keep-alive",
            "proxy-connection",
            "transfer-encoding",
            "te",
            "trailer",
            "upgrade",
            "proxy-authorization",
            "proxy-authenticate",
            "accept-encoding",
            "x-api-key",
            "authorization",
            "expect");

    private static final Set<String> NOT_FORWARDED_DOWN = Set.of(
            "content-length",
            "connection",
            "keep-alive",
            "transfer-encoding",
            "te",
            "trailer",
            "upgrade",
            "proxy-authenticate",
            "content-encoding",
            "server",
            "date",
            "set-cookie");

    private HeaderPolicy() {}

    /** The client's headers minus hop-by-hop ones and its own credentials, plus the provider's extra headers. */
    public static HttpFields.Mutable upstream(HttpFields client, Map<String, String> extra) {
        HttpFields.Mutable out = HttpFields.build(client.size() + extra.size() + 2);
        Set<String> listed = connectionListed(client);
        for (HttpField f : client) {
            if (!NOT_FORWARDED_UP.contains(f.getLowerCaseName()) && !listed.contains(f.getLowerCaseName())) {
                out.add(f);
            }
        }
        extra.forEach(out::put);
        return out;
    }

    /** The upstream's response headers worth giving the client (request-id, rate-limit, retry-after, content-type…). */
    public static HttpFields.Mutable downstream(HttpFields upstream) {
        HttpFields.Mutable out = HttpFields.build(upstream.size());
        Set<String> listed = connectionListed(upstream);
        for (HttpField f : upstream) {
            if (!NOT_FORWARDED_DOWN.contains(f.getLowerCaseName()) && !listed.contains(f.getLowerCaseName())) {
                out.add(f);
            }
        }
        return out;
    }

    /** The header names a {@code Connection} header lists: hop-by-hop by that listing (RFC 9110 §7.6.1). */
    private static Set<String> connectionListed(HttpFields headers) {
        Set<String> names = null;
        for (HttpField f : headers) {
            if (f.getLowerCaseName().equals("connection") && f.getValue() != null) {
                for (String token : f.getValue().split(",", -1)) {
                    String name = token.trim().toLowerCase(java.util.Locale.ROOT);
                    if (!name.isEmpty()) {
                        if (names == null) {
                            names = new java.util.HashSet<>();
                        }
                        names.add(name);
                    }
                }
            }
        }
        return names == null ? Set.of() : names;
    }
}
