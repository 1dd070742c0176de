package org.anthropicproxy.files;

import java.nio.file.Path;
import java.util.Map;

/**
 * The user's home and XDG base directories, resolved the way the CLIs whose files this proxy reads resolve them:
 * home is {@code $HOME} when set and non-empty (Node's {@code os.homedir()}, Python's {@code expanduser("~")}), else
 * the JVM's {@code user.home} (the passwd entry); {@code XDG_CONFIG_HOME}, {@code XDG_DATA_HOME} and
 * {@code XDG_STATE_HOME} are used when set to an absolute path, as the XDG Base Directory specification asks (a
 * relative one is ignored), else {@code ~/.config}, {@code ~/.local/share} and {@code ~/.local/state}. Every path
 * under home that the proxy reads or writes comes from here. Guarded by {@code UserDirsTest}.
 *
 * @param home       the home directory
 * @param configHome {@code $XDG_CONFIG_HOME} or {@code ~/.config}
 * @param dataHome   {@code $XDG_DATA_HOME} or {@code ~/.local/share}
 * @param stateHome  {@code $XDG_STATE_HOME} or {@code ~/.local/state}
 */
public record UserDirs(Path home, Path configHome, Path dataHome, Path stateHome) {

    /** This process: its environment, and {@code user.home} when {@code $HOME} is unset or empty. */
    public static UserDirs current() {
        return of(System.getenv());
    }

    /** From an environment (tests pass a map), {@code user.home} when it has no usable {@code HOME}. */
    public static UserDirs of(Map<String, String> env) {
        return of(env, System.getProperty("user.home"));
    }

    /** From an environment; {@code passwdHome} is used when it has no usable {@code HOME}. */
    public static UserDirs of(Map<String, String> env, String passwdHome) {
        String h = env.get("HOME");
        return under(Path.of(h != null && !h.isEmpty() ? h : passwdHome), env);
    }

    /** A home already decided, with the XDG directories {@code env} names. */
    public static UserDirs under(Path home, Map<String, String> env) {
        Path abs = home.toAbsolutePath().normalize();
        return new UserDirs(
                abs,
                xdg(env, "XDG_CONFIG_HOME", abs, ".config"),
                xdg(env, "XDG_DATA_HOME", abs, ".local/share"),
                xdg(env, "XDG_STATE_HOME", abs, ".local/state"));
    }

    private static Path xdg(Map<String, String> env, String name, Path home, String fallback) {
        String v = env.get(name);
        if (v != null && !v.isBlank()) {
            Path p = expand(v.strip(), home);
            if (p.isAbsolute()) {
                return p.normalize();
            }
        }
        return home.resolve(fallback);
    }

    /** The proxy's config file when {@code --config} is not given: {@code ${XDG_CONFIG_HOME:-~/.config}/anthropic-proxy/config.yaml}. */
    public Path defaultConfigFile() {
        return configHome.resolve("anthropic-proxy").resolve("config.yaml");
    }

    /** A configured path with {@code ~} or {@code ~/} at its start meaning this home; any other path as given. */
    public Path expand(String path) {
        return expand(path, home);
    }

    private static Path expand(String path, Path home) {
        if (path.equals("~")) {
            return home;
        }
        if (path.startsWith("~/")) {
            return home.resolve(path.substring(2));
        }
        return Path.of(path);
    }
}
