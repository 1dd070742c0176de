package org.anthropicproxy.tls;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.anthropicproxy.config.ConfigException;

/**
 * One {@code tls:} block of the config, at the top level or under a provider: extra CA bundles ({@code ca_file}, a
 * path or a list of paths, added to the JDK's trust store) and, per provider only, {@code insecure_skip_verify}.
 */
public record TlsSettings(List<String> caFiles, boolean insecureSkipVerify) {

    private static final Set<String> KEYS = Set.of("ca_file", "insecure_skip_verify");

    public static final TlsSettings NONE = new TlsSettings(List.of(), false);

    /**
     * @param key      {@code tls} or {@code providers.NAME.tls}, for messages
     * @param where    the config file, for messages
     * @param provider whether {@code insecure_skip_verify} is allowed here
     */
    public static TlsSettings fromMap(Map<String, Object> m, String key, String where, boolean provider) {
        if (m == null || m.isEmpty()) {
            return NONE;
        }
        for (String k : m.keySet()) {
            if (!KEYS.contains(k)) {
                throw new ConfigException(
                        key + "." + k + ": unknown key (allowed: ca_file, insecure_skip_verify) (in " + where + ")");
            }
        }
        List<String> files = new ArrayList<>();
        Object ca = m.get("ca_file");
        if (ca instanceof List<?> l) {
            for (Object o : l) {
                files.add(path(o, key, where));
            }
        } else if (ca != null) {
            files.add(path(ca, key, where));
        }
        Object insecure = m.get("insecure_skip_verify");
        boolean skip = false;
        if (insecure != null) {
            String s = String.valueOf(insecure).trim();
            if (!s.equalsIgnoreCase("true") && !s.equalsIgnoreCase("false")) {
                throw new ConfigException(
                        key + ".insecure_skip_verify: '" + insecure + "' is not true or false (in " + where + ")");
            }
            skip = Boolean.parseBoolean(s.toLowerCase(Locale.ROOT));
            if (skip && !provider) {
                throw new ConfigException(key + ".insecure_skip_verify: allowed per provider only "
                        + "(providers.NAME.tls.insecure_skip_verify), so that checking is off for one upstream, not all; "
                        + "to trust a private CA everywhere use tls.ca_file (in " + where + ")");
            }
        }
        return new TlsSettings(List.copyOf(files), skip);
    }

    private static String path(Object o, String key, String where) {
        if (o == null
                || o instanceof Map
                || o instanceof List
                || String.valueOf(o).isBlank()) {
            throw new ConfigException(key + ".ca_file: must be a path or a list of paths (in " + where + ")");
        }
        return String.valueOf(o).strip();
    }
}
