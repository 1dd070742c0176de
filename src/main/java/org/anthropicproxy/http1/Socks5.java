package org.anthropicproxy.http1;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import org.anthropicproxy.net.OutboundProxy;
import org.anthropicproxy.net.ProxyException;

/**
 * The SOCKS5 client handshake (RFC 1928, username/password from RFC 1929) on a connected, still blocking channel:
 * after it the channel carries bytes to and from {@code host:port}. {@code socks5h} sends the upstream's name for
 * the proxy to resolve; {@code socks5} resolves it here and sends the address, as curl does. Each read waits at most
 * the connect timeout. Guarded by {@code SocksProxyIT}.
 */
final class Socks5 {

    private static final String[] REPLIES = {
        "succeeded",
        "general SOCKS server failure",
        "connection not allowed by ruleset",
        "network unreachable",
        "host unreachable",
        "connection refused",
        "TTL expired",
        "command not supported",
        "address type not supported"
    };

    private Socks5() {}

    static void connect(SocketChannel channel, OutboundProxy proxy, String host, int port, int timeoutMillis)
            throws IOException {
        channel.socket().setSoTimeout(timeoutMillis);
        InputStream in = channel.socket().getInputStream();
        String who = "SOCKS proxy " + proxy.address();
        boolean credentials = proxy.user() != null;
        write(channel, credentials ? new byte[] {5, 2, 0, 2} : new byte[] {5, 1, 0});
        byte[] choice = read(in, 2, who);
        if (choice[0] != 5) {
            throw new ProxyException(who + " is not a SOCKS5 server (answered version " + (choice[0] & 0xff) + ")");
        }
        if ((choice[1] & 0xff) == 2 && credentials) {
            byte[] user = proxy.user().getBytes(StandardCharsets.UTF_8);
            byte[] pass = proxy.password().getBytes(StandardCharsets.UTF_8);
            if (user.length > 255 || pass.length > 255) {
                throw new ProxyException(who + ": user name or password longer than SOCKS5 allows (255 bytes)");
            }
            ByteBuffer auth = ByteBuffer.allocate(3 + user.length + pass.length);
            auth.put((byte) 1)
                    .put((byte) user.length)
                    .put(user)
                    .put((byte) pass.length)
                    .put(pass);
            write(channel, auth.array());
            if (read(in, 2, who)[1] != 0) {
                throw new ProxyException(who + " refused the user name and password in the proxy URL");
            }
        } else if ((choice[1] & 0xff) != 0) {
            throw new ProxyException(who
                    + (credentials
                            ? " accepts none of the offered authentication methods"
                            : " wants credentials: put user:password@ in the proxy URL"));
        }
        byte[] target = proxy.kind() == OutboundProxy.Kind.SOCKS5H
                ? null
                : InetAddress.getByName(host).getAddress();
        byte[] name = host.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer req = ByteBuffer.allocate(7 + (target != null ? target.length : name.length));
        req.put((byte) 5).put((byte) 1).put((byte) 0);
        if (target == null) {
            req.put((byte) 3).put((byte) name.length).put(name);
        } else {
            req.put((byte) (target.length == 4 ? 1 : 4)).put(target);
        }
        req.putShort((short) port);
        write(channel, java.util.Arrays.copyOf(req.array(), req.position()));
        byte[] reply = read(in, 4, who);
        int code = reply[1] & 0xff;
        if (code != 0) {
            throw new ProxyException(who + " could not connect to " + host + ":" + port + ": "
                    + (code < REPLIES.length ? REPLIES[code] : "reply " + code));
        }
        int rest = switch (reply[3]) {
            case 1 -> 4;
            case 4 -> 16;
            case 3 -> read(in, 1, who)[0] & 0xff;
            default -> throw new ProxyException(who + " sent a reply of unknown address type " + reply[3]);
        };
        read(in, rest + 2, who); // the bound address and port: not needed
    }

    private static void write(SocketChannel channel, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    private static byte[] read(InputStream in, int n, String who) throws IOException {
        byte[] out = new byte[n];
        int got = 0;
        try {
            while (got < n) {
                int r = in.read(out, got, n - got);
                if (r < 0) {
                    throw new ProxyException(who + " closed the connection during the SOCKS5 handshake");
                }
                got += r;
            }
        } catch (SocketTimeoutException e) {
            throw new ProxyException(who + " did not answer the SOCKS5 handshake in time");
        }
        return out;
    }
}
