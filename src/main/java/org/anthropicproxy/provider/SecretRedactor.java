package org.anthropicproxy.provider;

import java.util.regex.Pattern;

/** Strips things that look like credentials from text that may reach a log or an error message. */
public final class SecretRedactor {

    private static final Pattern BEARER = Pattern.compile("(?i)(bearer\\s+)[A-Za-z0-9._~+/=-]{8,}");
    private static final Pattern KEYS = Pattern.compile(
            "(?i)(\"?(?:api[_-]?key|access[_-]?token|refresh[_-]?token|token|secret|password)\"?\\s*[:=]\\s*\"?)[^\"\\s,&}]{4,}");
    private static final Pattern SK = Pattern.compile("\\b(sk-[A-Za-z0-9_-]{2})[A-Za-z0-9_-]{8,}");
    private static final Pattern URL_QUERY = Pattern.compile("(?i)([?&](?:key|token|api_key|access_token)=)[^&\\s]+");

    private SecretRedactor() {}

    /**
     * Replaces an exact credential the proxy sent upstream (an upstream error may echo it back) with
     * {@code [redacted]}; nothing else changes, so a JSON body stays JSON.
     */
    public static String withoutSecret(String s, String secret) {
        if (s == null || secret == null || secret.length() < 4) {
            return s;
        }
        return s.replace(secret, "[redacted]");
    }

    public static String redact(String s) {
        if (s == null) {
            return null;
        }
        String r = BEARER.matcher(s).replaceAll("$1[redacted]");
        r = KEYS.matcher(r).replaceAll("$1[redacted]");
        r = SK.matcher(r).replaceAll("$1[redacted]");
        return URL_QUERY.matcher(r).replaceAll("$1[redacted]");
    }
}
