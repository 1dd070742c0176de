package org.anthropicproxy.credentials;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.anthropicproxy.config.Durations;

/**
 * One provider's {@code auth:} settings. Fields left {@code null} were not configured, so environment variables
 * and defaults apply (config wins over env).
 *
 * @param type               {@code static}, {@code native}, {@code codebuddy} or {@code none}
 * @param token              static secret ({@code static} only)
 * @param tokenEnv           name of the environment variable that holds a static secret ({@code static} only)
 * @param file               credential file, {@code ~} is expanded ({@code native}: config.json; {@code codebuddy}:
 *                           the auth {@code .info} file)
 * @param dir                CodeBuddy auth directory ({@code codebuddy} only)
 * @param refreshUrl         token refresh endpoint
 * @param clientId           OAuth client id ({@code native} only)
 * @param refreshBuffer      refresh this long before expiry
 * @param watchInterval      how often the credential file is checked for changes
 * @param gitCredentialsHost host of the {@code ~/.git-credentials} line to use ({@code native} only)
 */
public record CredentialSettings(
        String type,
        String token,
        String tokenEnv,
        String file,
        String dir,
        String refreshUrl,
        String clientId,
        Duration refreshBuffer,
        Duration watchInterval,
        String gitCredentialsHost) {

    public static final String STATIC = "static";
    public static final String NATIVE = "native";
    public static final String CODEBUDDY = "codebuddy";
    public static final String NONE = "none";
    public static final String DEFAULT_GIT_CREDENTIALS_HOST = "git.woa.com";

    private static final List<String> TYPES = List.of(STATIC, NATIVE, CODEBUDDY, NONE);
    private static final List<String> KEYS = List.of(
            "type",
            "token",
            "token_env",
            "file",
            "dir",
            "refresh_url",
            "client_id",
            "refresh_buffer",
            "watch_interval",
            "git_credentials_host");
    private static final Map<String, Set<String>> KEYS_BY_TYPE = Map.of(
            STATIC, Set.of("type", "token", "token_env"),
            NATIVE,
                    Set.of(
                            "type",
                            "file",
                            "refresh_url",
                            "client_id",
                            "refresh_buffer",
                            "watch_interval",
                            "git_credentials_host"),
            CODEBUDDY, Set.of("type", "file", "dir", "refresh_url", "refresh_buffer", "watch_interval"),
            NONE, Set.of("type"));

    public CredentialSettings {
        if (type == null || !TYPES.contains(type)) {
            throw new IllegalArgumentException(
                    "auth type must be one of " + String.join(", ", TYPES) + ", got '" + type + "'");
        }
        if (STATIC.equals(type) && (token == null) == (tokenEnv == null)) {
            throw new IllegalArgumentException("a static credential needs exactly one of token and token_env");
        }
        if (gitCredentialsHost == null) {
            gitCredentialsHost = DEFAULT_GIT_CREDENTIALS_HOST;
        }
    }

    /** Settings of {@code type} with nothing configured: env variables and built-in defaults apply. */
    public static CredentialSettings defaults(String type) {
        return new CredentialSettings(type, null, null, null, null, null, null, null, null, null);
    }

    public static CredentialSettings ofStaticToken(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("a static token must not be empty");
        }
        return new CredentialSettings(STATIC, token, null, null, null, null, null, null, null, null);
    }

    /** Keeps the static secret out of logs when the settings are printed. */
    @Override
    public String toString() {
        return "CredentialSettings[type=" + type + (token != null ? ", token=***" : "")
                + (tokenEnv != null ? ", tokenEnv=" + tokenEnv : "") + (file != null ? ", file=" + file : "")
                + (dir != null ? ", dir=" + dir : "") + (refreshUrl != null ? ", refreshUrl=" + refreshUrl : "")
                + (clientId != null ? ", clientId=" + clientId : "")
                + (refreshBuffer != null ? ", refreshBuffer=" + refreshBuffer : "")
                + (watchInterval != null ? ", watchInterval=" + watchInterval : "")
                + ", gitCredentialsHost=" + gitCredentialsHost + "]";
    }

    /**
     * Parses a provider's {@code auth:} subtree.
     *
     * @param auth  the YAML mapping (snake_case keys)
     * @param where names the place in the config for messages, e.g. {@code "providers.native"}
     * @throws IllegalArgumentException naming the offending key, e.g. {@code unknown key 'auth.xyz' in providers.x}
     */
    public static CredentialSettings fromMap(Map<String, Object> auth, String where) {
        if (auth == null || auth.isEmpty()) {
            throw new IllegalArgumentException(
                    "missing 'auth.type' in " + where + ": expected one of " + String.join(", ", TYPES));
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : auth.entrySet()) {
            String key = String.valueOf(e.getKey());
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown key 'auth." + key + "' in " + where + " (known keys: "
                        + String.join(", ", KEYS) + ")");
            }
            values.put(key, e.getValue());
        }
        String type = string(values, "type", where);
        if (type == null) {
            if (values.containsKey("token") || values.containsKey("token_env")) {
                type = STATIC;
            } else {
                throw new IllegalArgumentException(
                        "missing 'auth.type' in " + where + ": expected one of " + String.join(", ", TYPES));
            }
        }
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("bad value '" + type + "' for 'auth.type' in " + where
                    + ": expected one of " + String.join(", ", TYPES));
        }
        for (String key : values.keySet()) {
            if (!KEYS_BY_TYPE.get(type).contains(key)) {
                throw new IllegalArgumentException(
                        "key 'auth." + key + "' in " + where + " does not apply to auth type '" + type + "'");
            }
        }
        String token = string(values, "token", where);
        String tokenEnv = string(values, "token_env", where);
        if (STATIC.equals(type) && (token == null) == (tokenEnv == null)) {
            throw new IllegalArgumentException(
                    "auth type 'static' in " + where + " needs exactly one of 'auth.token' and 'auth.token_env'");
        }
        if (token != null && token.isBlank()) {
            throw new IllegalArgumentException("bad value for 'auth.token' in " + where + ": empty");
        }
        if (tokenEnv != null && !tokenEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("bad value '" + tokenEnv + "' for 'auth.token_env' in " + where
                    + ": expected an environment variable name");
        }
        String refreshUrl = string(values, "refresh_url", where);
        if (refreshUrl != null) {
            checkHttpUrl(refreshUrl, "refresh_url", where);
        }
        String host = string(values, "git_credentials_host", where);
        if (host != null && !host.matches("[A-Za-z0-9.\\-]+(:\\d+)?")) {
            throw new IllegalArgumentException(
                    "bad value '" + host + "' for 'auth.git_credentials_host' in " + where + ": expected a host name");
        }
        return new CredentialSettings(
                type,
                token,
                tokenEnv,
                nonBlank(values, "file", where),
                nonBlank(values, "dir", where),
                refreshUrl,
                nonBlank(values, "client_id", where),
                duration(values, "refresh_buffer", where),
                duration(values, "watch_interval", where),
                host);
    }

    private static String string(Map<String, Object> values, String key, String where) {
        Object v = values.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            // Never echo the value: it may be a secret (auth.token: 12345).
            throw new IllegalArgumentException("bad value for 'auth." + key + "' in " + where + ": expected a string");
        }
        return s.trim();
    }

    private static String nonBlank(Map<String, Object> values, String key, String where) {
        String s = string(values, key, where);
        if (s != null && s.isEmpty()) {
            throw new IllegalArgumentException("bad value for 'auth." + key + "' in " + where + ": empty");
        }
        return s;
    }

    private static Duration duration(Map<String, Object> values, String key, String where) {
        Object v = values.get(key);
        if (v == null) {
            return null;
        }
        Duration d = v instanceof String s ? Durations.parseWithUnit(s) : null;
        if (d == null) {
            throw new IllegalArgumentException("bad value '" + v + "' for 'auth." + key + "' in " + where
                    + ": expected a positive duration with a unit, like 5m, 300s or 300000ms");
        }
        return d;
    }

    private static void checkHttpUrl(String url, String key, String where) {
        try {
            URI uri = URI.create(url);
            if (("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
                    && uri.getHost() != null) {
                return;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                "bad value '" + url + "' for 'auth." + key + "' in " + where + ": expected an http(s) URL");
    }
}
