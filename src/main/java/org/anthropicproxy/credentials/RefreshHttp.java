package org.anthropicproxy.credentials;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import javax.net.ssl.SSLContext;
import org.anthropicproxy.net.OutboundProxy;
import org.anthropicproxy.net.ProxyRules;

/**
 * How token refreshes leave: the provider's TLS trust and forward proxy, the same as its upstream calls. The JDK
 * client sends a {@code Proxy-Authorization} header set on the request with its {@code CONNECT} (and, for plain http,
 * with the request itself), so credentials from the proxy URL go there. Guarded by {@code ForwardProxyIT}.
 *
 * @param tls     null for the JDK's default trust
 * @param proxies the provider's proxy rules
 */
record RefreshHttp(SSLContext tls, ProxyRules proxies) {

    HttpClient.Builder builder() {
        HttpClient.Builder b = HttpClient.newBuilder().proxy(proxies.selector());
        if (tls != null) {
            b.sslContext(tls); // the provider's trust: its CA bundles, or none checked
        }
        return b;
    }

    HttpRequest withProxyCredentials(HttpRequest request) {
        OutboundProxy p = proxies.forUri(request.uri());
        if (p == null || p.authorization() == null) {
            return request;
        }
        return HttpRequest.newBuilder(request, (name, value) -> true).header("Proxy-Authorization", p.authorization()).build();
    }
}
