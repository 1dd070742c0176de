package org.anthropicproxy.provider.openai;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reversible client-name ⇄ upstream-name mapping for tool names longer than the upstream allows.
 *
 * <p>A name within the limit is kept as is. A longer one becomes {@code <prefix>_<8 hex of sha256(name)>}, exactly
 * {@code maxLength} characters, so the same client name always maps to the same upstream name (history turns map the
 * same way as the tool list). Upstream names this map never produced are returned unchanged by {@link #toClient}.
 * One instance per request; not thread-safe (built while mapping, read-only afterwards).
 */
public final class ToolNameMap {

    /** sha256 hex of recent names (the same long MCP tool names come with every request); bounded, see {@link #sha256Hex}. */
    private static final Map<String, String> HASHES = new ConcurrentHashMap<>();

    static final int HASH_MEMO_ENTRIES = 1024;
    private static final int HASH_MEMO_MAX_CHARS = 512;

    private final int maxLength;
    private final Map<String, String> toUpstream = new LinkedHashMap<>();
    private final Map<String, String> toClient = new LinkedHashMap<>();

    public ToolNameMap(int maxLength) {
        if (maxLength < 16) {
            throw new IllegalArgumentException("maxLength must be >= 16");
        }
        this.maxLength = maxLength;
    }

    /** A map that changes nothing (names already short enough). */
    public static ToolNameMap identity() {
        return new ToolNameMap(Integer.MAX_VALUE / 2);
    }

    /** The upstream name for a client tool name (registers it for {@link #toClient}). */
    public String toUpstream(String clientName) {
        if (clientName == null || clientName.length() <= maxLength) {
            return clientName;
        }
        return toUpstream.computeIfAbsent(clientName, n -> {
            String hash = sha256Hex(n).substring(0, 8);
            String shortName = n.substring(0, maxLength - 9) + "_" + hash;
            toClient.put(shortName, n);
            return shortName;
        });
    }

    /** The client name for a name the upstream used; unknown names are returned unchanged. */
    public String toClient(String upstreamName) {
        if (upstreamName == null) {
            return null;
        }
        return toClient.getOrDefault(upstreamName, upstreamName);
    }

    /** Client name → upstream name for every shortened name (for logs). */
    public Map<String, String> shortened() {
        return Map.copyOf(toUpstream);
    }

    /**
     * The SHA-256 of {@code s}'s UTF-8 bytes in lower-case hex; memoized for strings up to {@value #HASH_MEMO_MAX_CHARS}
     * chars in a map of at most {@value #HASH_MEMO_ENTRIES} entries (cleared when full: the live set refills it at once).
     */
    static String sha256Hex(String s) {
        if (s.length() > HASH_MEMO_MAX_CHARS) {
            return digestHex(s);
        }
        String h = HASHES.get(s);
        if (h == null) {
            h = digestHex(s);
            if (HASHES.size() >= HASH_MEMO_ENTRIES) {
                HASHES.clear();
            }
            HASHES.put(s, h);
        }
        return h;
    }

    static int hashMemoSize() {
        return HASHES.size();
    }

    private static String digestHex(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
