package org.anthropicproxy.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class CredentialSettingsTest {

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void parsesEveryNativeKey() {
        CredentialSettings s = CredentialSettings.fromMap(
                map(
                        "type",
                        "native",
                        "file",
                        "~/cfg.json",
                        "refresh_url",
                        "https://auth.example.com/refresh",
                        "client_id",
                        "abc",
                        "refresh_buffer",
                        "5m",
                        "watch_interval",
                        "300ms",
                        "git_credentials_host",
                        "git.example.com"),
                "providers.native");

        assertThat(s.type()).isEqualTo("native");
        assertThat(s.file()).isEqualTo("~/cfg.json");
        assertThat(s.refreshUrl()).isEqualTo("https://auth.example.com/refresh");
        assertThat(s.clientId()).isEqualTo("abc");
        assertThat(s.refreshBuffer()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.watchInterval()).isEqualTo(Duration.ofMillis(300));
        assertThat(s.gitCredentialsHost()).isEqualTo("git.example.com");
    }

    @Test
    void durationsAcceptMillisSecondsMinutes() {
        for (String v : new String[] {"300000ms", "300s", "5m", "PT5M"}) {
            CredentialSettings s = CredentialSettings.fromMap(map("type", "codebuddy", "refresh_buffer", v), "p");
            assertThat(s.refreshBuffer()).as(v).isEqualTo(Duration.ofMinutes(5));
        }
    }

    @Test
    void rejectsUnknownKeyNamingIt() {
        assertThatThrownBy(() -> CredentialSettings.fromMap(map("type", "native", "xyz", "1"), "providers.main"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("unknown key 'auth.xyz' in providers.main");
    }

    @Test
    void rejectsBadTypeAndMissingType() {
        assertThatThrownBy(() -> CredentialSettings.fromMap(map("type", "oauth"), "providers.a"))
                .hasMessageContaining("'auth.type'")
                .hasMessageContaining("providers.a")
                .hasMessageContaining("static, native, codebuddy, none");
        assertThatThrownBy(() -> CredentialSettings.fromMap(map("file", "x"), "providers.a"))
                .hasMessageContaining("missing 'auth.type' in providers.a");
    }

    @Test
    void rejectsBadDurationNamingKey() {
        assertThatThrownBy(() -> CredentialSettings.fromMap(map("type", "native", "refresh_buffer", "soon"), "p.n"))
                .hasMessageContaining("'auth.refresh_buffer' in p.n")
                .hasMessageContaining("5m");
        assertThatThrownBy(() -> CredentialSettings.fromMap(map("type", "native", "watch_interval", 5), "p.n"))
                .hasMessageContaining("'auth.watch_interval' in p.n");
        assertThatThrownBy(() -> CredentialSettings.fromMap(map("type", "native", "watch_interval", "0s"), "p.n"))
                .hasMessageContaining("'auth.watch_interval'");
    }

    @Test
    void rejectsKeysThatDoNotApplyToTheType() {
        assertThatThrownBy(() -> CredentialSettings.fromMap(map("type", "native", "token", "k"), "p.n"))
                .hasMessageContaining("'auth.token'")
                .hasMessageContaining("'native'");
        assertThatThrownBy(() -> CredentialSettings.fromMap(map("type", "codebuddy", "client_id", "c"), "p.c"))
                .hasMessageContaining("'auth.client_id'");
        assertThatThrownBy(() -> CredentialSettings.fromMap(map("type", "none", "file", "x"), "p.x"))
                .hasMessageContaining("'auth.file'");
    }

    @Test
    void staticNeedsExactlyOneOfTokenAndTokenEnv() {
        assertThat(CredentialSettings.fromMap(map("token", "sk-1"), "p").type()).isEqualTo("static");
        assertThat(CredentialSettings.fromMap(map("type", "static", "token_env", "MY_KEY"), "p")
                        .tokenEnv())
                .isEqualTo("MY_KEY");
        assertThatThrownBy(() -> CredentialSettings.fromMap(map("type", "static"), "p.s"))
                .hasMessageContaining("'auth.token'")
                .hasMessageContaining("'auth.token_env'");
        assertThatThrownBy(() -> CredentialSettings.fromMap(map("token", "a", "token_env", "B"), "p.s"))
                .hasMessageContaining("exactly one");
    }

    @Test
    void aNonStringTokenIsRejectedWithoutEchoingIt() {
        assertThatThrownBy(() -> CredentialSettings.fromMap(map("token", 987654321), "p.s"))
                .hasMessageContaining("'auth.token'")
                .hasMessageNotContaining("987654321");
    }

    @Test
    void rejectsNonHttpRefreshUrl() {
        assertThatThrownBy(() -> CredentialSettings.fromMap(map("type", "native", "refresh_url", "ftp://x/y"), "p"))
                .hasMessageContaining("'auth.refresh_url'");
    }

    @Test
    void factoriesAndToStringHidingTheToken() {
        CredentialSettings s = CredentialSettings.ofStaticToken("sk-secret-value");
        assertThat(s.token()).isEqualTo("sk-secret-value");
        assertThat(s.toString()).doesNotContain("sk-secret-value");
        assertThat(CredentialSettings.defaults("codebuddy").gitCredentialsHost())
                .isEqualTo("git.woa.com");
        assertThatThrownBy(() -> CredentialSettings.defaults("bogus")).isInstanceOf(IllegalArgumentException.class);
        assertThat(new Credential("sk-secret-value", null, null).toString()).doesNotContain("sk-secret-value");
    }
}
