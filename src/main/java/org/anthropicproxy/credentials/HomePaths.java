package org.anthropicproxy.credentials;

import java.nio.file.Path;

/** {@code ~} handling for configured paths and for paths shown to people; home comes from {@link org.anthropicproxy.files.UserDirs}. */
final class HomePaths {
    private HomePaths() {}

    static Path expand(String path, Path home) {
        if (path.equals("~")) {
            return home;
        }
        if (path.startsWith("~/")) {
            return home.resolve(path.substring(2));
        }
        return Path.of(path);
    }

    /**
     * The path actually looked at, absolute: {@code ~/...} would hide which home was used ({@code $HOME} under
     * {@code sudo -E} or a service manager is not the passwd home). Guarded by {@code HomeDirIT}.
     */
    static String display(Path path, Path home) {
        return path.toAbsolutePath().normalize().toString();
    }
}
