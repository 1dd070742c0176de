package org.anthropicproxy.http1;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import org.anthropicproxy.net.OutboundProxy;
import org.anthropicproxy.net.ProxyException;

/**
 * Opens an HTTP {@code CONNECT} tunnel through a forward proxy on a connected, still blocking channel: after it the
 * channel carries bytes to and from {@code host:port} (TLS with the upstream is shaken over it next, so SNI and host
 * name checks are for the upstream, not the proxy). The proxy's answer head is read byte by byte, bounded in size
 * and by the connect timeout, so not one byte of the tunnel is consumed. Guarded by {@code ForwardProxyIT}.
 */
final class ProxyTunnel {

    private static final int MAX_HEAD_BYTES = 16 * 1024;

    private ProxyTunnel() {}

    static void open(SocketChannel channel, OutboundProxy proxy, String host, int port, int timeoutMillis)
            throws IOException {
        String target = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        StringBuilder b = new StringBuilder(128)
                .append("CONNECT ")
                .append(target)
                .append(" HTTP/1.1\r\nHost: ")
                .append(target)
                .append("\r\n");
        if (proxy.authorization() != null) {
            b.append("Proxy-Authorization: ").append(proxy.authorization()).append("\r\n");
        }
        ByteBuffer request = ByteBuffer.wrap(b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        while (request.hasRemaining()) {
            channel.write(request);
        }
        channel.socket().setSoTimeout(timeoutMillis);
        InputStream in = channel.socket().getInputStream();
        StringBuilder head = new StringBuilder(128);
        int matched = 0; // of CR LF CR LF
        while (matched < 4) {
            int c;
            try {
                c = in.read();
            } catch (SocketTimeoutException e) {
                throw new ProxyException("proxy " + proxy.address() + " did not answer CONNECT " + target + " within "
                        + timeoutMillis + " ms");
            }
            if (c < 0) {
                throw new ProxyException(
                        "proxy " + proxy.address() + " closed the connection without answering CONNECT " + target);
            }
            if (head.length() >= MAX_HEAD_BYTES) {
                throw new ProxyException("proxy " + proxy.address() + " answered CONNECT " + target
                        + " with a head over " + MAX_HEAD_BYTES + " bytes");
            }
            head.append((char) c);
            matched = c == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : c == '\r' ? 1 : 0;
        }
        String statusLine = head.substring(0, Math.max(0, head.indexOf("\r\n")));
        String[] parts = statusLine.split(" ", 3);
        int status = -1;
        if (parts.length >= 2 && parts[0].startsWith("HTTP/1.")) {
            try {
                status = Integer.parseInt(parts[1]);
            } catch (NumberFormatException ignored) {
                // reported below
            }
        }
        if (status < 200 || status > 299) {
            String said = printable(statusLine);
            throw new ProxyException("proxy " + proxy.address() + " rejected CONNECT " + target + ": "
                    + (status < 0
                            ? "not an HTTP answer ('" + said + "')"
                            : said.substring(said.indexOf(' ') + 1)
                                    + (status == 407 || status == 401
                                            ? (proxy.authorization() == null
                                                    ? " (the proxy wants credentials: put user:password@ in the proxy URL)"
                                                    : " (the proxy refused the credentials in the proxy URL)")
                                            : "")));
        }
    }

    private static String printable(String s) {
        String t = s.length() > 200 ? s.substring(0, 200) : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
