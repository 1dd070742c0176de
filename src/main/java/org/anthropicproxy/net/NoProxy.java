package org.anthropicproxy.net;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A {@code NO_PROXY} list as curl, Python {@code requests} and Go read it: entries split on commas (and spaces);
 * {@code *} matches every host; a host name matches itself and its subdomains, with or without a leading dot (or
 * {@code *.}); an IP address matches that literal; a CIDR range matches IP literals inside it; {@code :port} after
 * any of them restricts the entry to that port. Names are never resolved to match. Guarded by {@code NoProxyTest}.
 */
public final class NoProxy {

    private record Entry(String name, byte[] network, int prefix, int port) {}

    private final boolean all;
    private final List<Entry> entries;

    private NoProxy(boolean all, List<Entry> entries) {
        this.all = all;
        this.entries = entries;
    }

    public static final NoProxy NONE = new NoProxy(false, List.of());

    public static NoProxy parse(String list) {
        if (list == null || list.isBlank()) {
            return NONE;
        }
        return parse(List.of(list.split("[,\\s]+")));
    }

    public static NoProxy parse(List<String> items) {
        boolean all = false;
        List<Entry> entries = new ArrayList<>();
        for (String raw : items) {
            String s = raw.strip().toLowerCase(Locale.ROOT);
            if (s.isEmpty()) {
                continue;
            }
            if (s.equals("*")) {
                all = true;
                continue;
            }
            int port = -1;
            if (s.startsWith("[")) {
                int close = s.indexOf(']');
                if (close > 0 && s.startsWith(":", close + 1)) {
                    port = port(s.substring(close + 2));
                }
                s = close > 0 ? s.substring(1, close) : s.substring(1);
            } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
                int colon = s.indexOf(':');
                port = port(s.substring(colon + 1));
                s = s.substring(0, colon);
            }
            int slash = s.indexOf('/');
            if (slash > 0) {
                byte[] net = literal(s.substring(0, slash));
                int prefix = port(s.substring(slash + 1));
                if (net != null && prefix >= 0 && prefix <= net.length * 8) {
                    entries.add(new Entry(null, net, prefix, port));
                }
                continue; // a malformed range matches nothing, as in curl
            }
            byte[] ip = literal(s);
            if (ip != null) {
                entries.add(new Entry(null, ip, ip.length * 8, port));
                continue;
            }
            if (s.startsWith("*.")) {
                s = s.substring(2);
            }
            while (s.startsWith(".")) {
                s = s.substring(1);
            }
            if (s.endsWith(".")) {
                s = s.substring(0, s.length() - 1);
            }
            if (!s.isEmpty()) {
                entries.add(new Entry(s, null, 0, port));
            }
        }
        return new NoProxy(all, List.copyOf(entries));
    }

    /** Whether a request to {@code host:port} goes direct. */
    public boolean matches(String host, int port) {
        if (all) {
            return true;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        byte[] ip = literal(h);
        for (Entry e : entries) {
            if (e.port != -1 && e.port != port) {
                continue;
            }
            if (e.name != null
                    ? ip == null && (h.equals(e.name) || h.endsWith("." + e.name))
                    : ip != null && inRange(ip, e.network, e.prefix)) {
                return true;
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return !all && entries.isEmpty();
    }

    private static boolean inRange(byte[] ip, byte[] network, int prefix) {
        if (ip.length != network.length) {
            return false;
        }
        int bits = ip.length * 8;
        BigInteger mask = prefix == 0
                ? BigInteger.ZERO
                : BigInteger.ONE
                        .shiftLeft(bits)
                        .subtract(BigInteger.ONE)
                        .shiftRight(bits - prefix)
                        .shiftLeft(bits - prefix);
        return new BigInteger(1, ip).and(mask).equals(new BigInteger(1, network).and(mask));
    }

    /** The bytes of an IPv4 or IPv6 literal, else null (a name is never looked up). */
    static byte[] literal(String s) {
        boolean v4 = s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = s.indexOf(':') >= 0 && s.matches("[0-9a-f:.%]+");
        if (!v4 && !v6) {
            return null;
        }
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException | SecurityException e) {
            return null;
        }
    }

    private static int port(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -2; // matches no port
        }
    }
}
