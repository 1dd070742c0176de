package org.anthropicproxy.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.eclipse.jetty.http.HttpFields;

/**
 * Client keys, accepted as {@code x-api-key} or {@code Authorization: Bearer}. Keys are kept only as SHA-256
 * digests (config may give them as {@code sha256:<hex>} so the file holds no secret) and compared in constant time.
 */
public final class ClientAuth {

    public enum Access {
        DENIED,
        CLIENT,
        ADMIN
    }

    private final List<byte[]> clientDigests;
    private final List<byte[]> adminDigests;

    public ClientAuth(List<String> clientKeys, List<String> adminKeys) {
        this.clientDigests = digests(clientKeys);
        this.adminDigests = digests(adminKeys);
    }

    public boolean enabled() {
        return !clientDigests.isEmpty() || !adminDigests.isEmpty();
    }

    /** What the request may do, and which key it used. */
    public record Identity(Access access, String keyId) {
        static final Identity OPEN = new Identity(Access.ADMIN, null);
        static final Identity DENIED = new Identity(Access.DENIED, null);
    }

    public Access check(HttpFields headers) {
        return identify(headers).access();
    }

    /** The access, and for a configured key its {@link #keyId}: the key is hashed once for both. */
    public Identity identify(HttpFields headers) {
        if (!enabled()) {
            return Identity.OPEN;
        }
        String presented = presentedKey(headers);
        if (presented == null) {
            return Identity.DENIED;
        }
        byte[] d = sha256(presented);
        boolean admin = matchesAny(d, adminDigests);
        boolean client = matchesAny(d, clientDigests);
        Access access = admin ? Access.ADMIN : client ? Access.CLIENT : Access.DENIED;
        return access == Access.DENIED ? Identity.DENIED : new Identity(access, keyId(d));
    }

    /**
     * A client key's name in usage history: the first 12 hex digits of its SHA-256, the same digits a config
     * giving the key as {@code sha256:<hex>} starts with. Never the key.
     */
    public static String keyId(byte[] sha256) {
        return HexFormat.of().formatHex(sha256, 0, 6);
    }

    static String presentedKey(HttpFields headers) {
        String key = headers.get("x-api-key");
        if (key != null && !key.isBlank()) {
            return key.strip();
        }
        String auth = headers.get("authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.substring(7).strip();
        }
        return null;
    }

    /** Every digest is compared, match or not, so timing says nothing about which key came close. */
    private static boolean matchesAny(byte[] digest, List<byte[]> digests) {
        boolean match = false;
        for (byte[] d : digests) {
            match |= MessageDigest.isEqual(digest, d);
        }
        return match;
    }

    private static List<byte[]> digests(List<String> keys) {
        List<byte[]> out = new ArrayList<>();
        for (String k : keys) {
            if (k.toLowerCase(Locale.ROOT).startsWith("sha256:")) {
                out.add(HexFormat.of().parseHex(k.substring(7).strip()));
            } else {
                out.add(sha256(k));
            }
        }
        return List.copyOf(out);
    }

    public static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
