package org.anthropicproxy.credentials;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads the token IOA keeps in {@code ~/.git-credentials}: a line {@code https://oauth2:<token>@git.woa.com}.
 * Lines are never logged: every one of them holds a password.
 */
final class GitCredentials {
    static final String USER = "oauth2";

    private GitCredentials() {}

    static Optional<String> oauth2Token(Path file, String host) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return Optional.empty();
        }
        String wanted = host.toLowerCase(Locale.ROOT);
        for (String line : lines) {
            String token = tokenFrom(line.trim(), wanted);
            if (token != null) {
                return Optional.of(token);
            }
        }
        return Optional.empty();
    }

    private static String tokenFrom(String line, String host) {
        if (line.isEmpty() || line.startsWith("#")) {
            return null;
        }
        URI uri;
        try {
            uri = URI.create(line);
        } catch (IllegalArgumentException e) {
            return null;
        }
        String lineHost = uri.getHost() == null ? null : uri.getHost().toLowerCase(Locale.ROOT);
        if (uri.getPort() != -1 && lineHost != null) {
            lineHost = lineHost + ":" + uri.getPort();
        }
        String userInfo = uri.getRawUserInfo();
        if (lineHost == null
                || userInfo == null
                || !(lineHost.equals(host)
                        || (uri.getPort() != -1
                                && !host.contains(":")
                                && uri.getHost().equalsIgnoreCase(host)))) {
            return null;
        }
        int colon = userInfo.indexOf(':');
        if (colon < 0) {
            return null;
        }
        String user = percentDecode(userInfo.substring(0, colon));
        String password = percentDecode(userInfo.substring(colon + 1));
        return USER.equals(user) && !password.isBlank() ? password : null;
    }

    /** Git percent-encodes user info; a literal '+' stays a plus (URLDecoder alone would make it a space). */
    private static String percentDecode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }
}
