package org.anthropicproxy.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class StaticSourcesTest {
    @TempDir
    Path home;

    @Test
    void staticTokenNeverExpiresAndCannotBeRefreshed() throws Exception {
        try (CredentialSource s = CredentialSources.create(
                CredentialSettings.ofStaticToken("sk-static-1"), Map.of(), home, Clock.systemUTC())) {
            Credential c = s.current();
            assertThat(c.secret()).isEqualTo("sk-static-1");
            assertThat(c.expiresAt()).isNull();
            assertThat(s.status().available()).isTrue();
            assertThat(s.status().source()).isEqualTo("config auth.token");
            assertThatThrownBy(() -> s.refreshAfterRejection(c))
                    .isInstanceOf(CredentialUnavailableException.class)
                    .hasMessageContaining("rejected the static key")
                    .hasMessageNotContaining("sk-static-1");
        }
    }

    @Test
    void tokenFromNamedEnvironmentVariable() throws Exception {
        CredentialSettings settings =
                new CredentialSettings("static", null, "MY_KEY", null, null, null, null, null, null, null);
        try (CredentialSource s =
                CredentialSources.create(settings, Map.of("MY_KEY", "sk-env-2"), home, Clock.systemUTC())) {
            assertThat(s.current().secret()).isEqualTo("sk-env-2");
            assertThat(s.status().source()).isEqualTo("env MY_KEY");
        }
        try (CredentialSource s = CredentialSources.create(settings, Map.of(), home, Clock.systemUTC())) {
            assertThat(s.status().available()).isFalse();
            assertThatThrownBy(s::current)
                    .isInstanceOf(CredentialUnavailableException.class)
                    .hasMessageContaining("MY_KEY")
                    .hasMessageContaining("not set");
        }
    }

    @Test
    void noneGivesAnEmptySecretAndExplainsARejection() throws Exception {
        try (CredentialSource s =
                CredentialSources.create(CredentialSettings.defaults("none"), Map.of(), home, Clock.systemUTC())) {
            assertThat(s.current().secret()).isEmpty();
            assertThatThrownBy(() -> s.refreshAfterRejection(s.current()))
                    .isInstanceOf(CredentialUnavailableException.class)
                    .hasMessageContaining("'none'");
        }
    }
}
