package org.anthropicproxy.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UserDirsTest {

    @Test
    void homeIsHomeWhenSetAndNonEmptyElseThePasswdHome() {
        assertThat(UserDirs.of(Map.of("HOME", "/scratch/me"), "/home/passwd").home())
                .isEqualTo(Path.of("/scratch/me"));
        assertThat(UserDirs.of(Map.of("HOME", ""), "/home/passwd").home()).isEqualTo(Path.of("/home/passwd"));
        assertThat(UserDirs.of(Map.of(), "/home/passwd").home()).isEqualTo(Path.of("/home/passwd"));
    }

    @Test
    void xdgDirectoriesDefaultUnderHome() {
        UserDirs d = UserDirs.of(Map.of("HOME", "/scratch/me"), "/home/passwd");
        assertThat(d.configHome()).isEqualTo(Path.of("/scratch/me/.config"));
        assertThat(d.dataHome()).isEqualTo(Path.of("/scratch/me/.local/share"));
        assertThat(d.stateHome()).isEqualTo(Path.of("/scratch/me/.local/state"));
        assertThat(d.defaultConfigFile()).isEqualTo(Path.of("/scratch/me/.config/anthropic-proxy/config.yaml"));
    }

    @Test
    void absoluteXdgVariablesWinAndRelativeOnesAreIgnoredAsTheSpecificationAsks() {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", "/scratch/me");
        env.put("XDG_CONFIG_HOME", "/etc/xdg-user/conf/");
        env.put("XDG_DATA_HOME", "relative/data");
        env.put("XDG_STATE_HOME", "~/state");
        UserDirs d = UserDirs.of(env, "/home/passwd");
        assertThat(d.configHome()).isEqualTo(Path.of("/etc/xdg-user/conf"));
        assertThat(d.defaultConfigFile()).isEqualTo(Path.of("/etc/xdg-user/conf/anthropic-proxy/config.yaml"));
        assertThat(d.dataHome()).isEqualTo(Path.of("/scratch/me/.local/share"));
        assertThat(d.stateHome()).isEqualTo(Path.of("/scratch/me/state"));
    }

    @Test
    void blankXdgVariablesAreUnset() {
        UserDirs d = UserDirs.under(Path.of("/h"), Map.of("XDG_CONFIG_HOME", " ", "XDG_DATA_HOME", ""));
        assertThat(d.configHome()).isEqualTo(Path.of("/h/.config"));
        assertThat(d.dataHome()).isEqualTo(Path.of("/h/.local/share"));
    }

    @Test
    void tildeMeansThisHome() {
        UserDirs d = UserDirs.under(Path.of("/scratch/me"), Map.of());
        assertThat(d.expand("~")).isEqualTo(Path.of("/scratch/me"));
        assertThat(d.expand("~/a/b.json")).isEqualTo(Path.of("/scratch/me/a/b.json"));
        assertThat(d.expand("/abs/~/x")).isEqualTo(Path.of("/abs/~/x"));
        assertThat(d.expand("~other/x")).isEqualTo(Path.of("~other/x"));
    }
}
