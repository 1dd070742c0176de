package org.anthropicproxy.credentials;

import java.nio.file.Path;

/** {@code ~} handling for configured paths and for paths shown to people. */
final class HomePaths {
    private HomePaths() {
    }

    static Path expand(String path, Path home) {
        if (path.equals("~")) {
            return home;
        }
        if (path.startsWith("~/")) {
            return home.resolve(path.substring(2));
        }
        return Path.of(path);
    }

    /** The path as people write it: {@code ~/.claude-internal/config.json} when under home. */
    static String display(Path path, Path home) {
        Path abs = path.toAbsolutePath().normalize();
        Path h = home.toAbsolutePath().normalize();
        if (abs.startsWith(h) && !abs.equals(h)) {
            return "~/" + h.relativize(abs).toString().replace('\\', '/');
        }
        return abs.toString();
    }
}
