package org.anthropicproxy.credentials;

import static org.anthropicproxy.credentials.CredentialFiles.await;
import static org.anthropicproxy.credentials.CredentialFiles.codeBuddyDir;
import static org.anthropicproxy.credentials.CredentialFiles.codeBuddyDoc;
import static org.anthropicproxy.credentials.CredentialFiles.nativeConfig;
import static org.anthropicproxy.credentials.CredentialFiles.nativeDoc;
import static org.anthropicproxy.credentials.CredentialFiles.write;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.anthropicproxy.testkit.MutableClock;
import org.anthropicproxy.testkit.RefreshServerSimulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs full refresh cycles with known secret values and checks that no log line or message carries one. */
@Timeout(60)
class CredentialLogScanTest {
    private static final String NATIVE_ACCESS = "SECRET-native-access-7f3a";
    private static final String NATIVE_REFRESH = "SECRET-native-refresh-9c1d";
    private static final String RELOGIN_ACCESS = "SECRET-relogin-access-41aa";
    private static final String RELOGIN_REFRESH = "SECRET-relogin-refresh-52bb";
    private static final String BROKEN = "SECRET-half-written-63cc";
    private static final String CB_ACCESS = "SECRET-codebuddy-access-74dd";
    private static final String CB_REFRESH = "SECRET-codebuddy-refresh-85ee";
    private static final String STATIC_KEY = "SECRET-static-key-96ff";

    @TempDir
    Path home;

    @Test
    void noSecretReachesLogsMessagesOrStatus() throws Exception {
        List<String> shown = new ArrayList<>();
        MutableClock clock = MutableClock.atSystemTime();
        try (LogCapture logs = new LogCapture();
                RefreshServerSimulator sim = new RefreshServerSimulator("SECRET-sim")) {
            // native: wide file mode, failing refresh, recovery, rejection, dead refresh token, re-login, bad file
            write(
                    nativeConfig(home),
                    nativeDoc(NATIVE_ACCESS, NATIVE_REFRESH, clock.instant().minusSeconds(60)));
            Files.setPosixFilePermissions(nativeConfig(home), PosixFilePermissions.fromString("rw-rw-r--"));
            CredentialSettings nativeSettings = new CredentialSettings(
                    "native", null, null, null, null, sim.nativeUrl(), null, null, Duration.ofMillis(100), null);
            try (CredentialSource s = CredentialSources.create(nativeSettings, Map.of(), home, clock)) {
                sim.failWith(500);
                shown.add(failure(s));
                sim.succeed();
                clock.advance(Duration.ofSeconds(3));
                Credential c = s.current();
                shown.add(c.toString());
                shown.add(s.refreshAfterRejection(c).toString());
                sim.failWith(401);
                shown.add(rejection(s, s.current()));
                shown.add(failure(s));
                shown.add(s.status().toString());

                write(
                        nativeConfig(home),
                        nativeDoc(
                                RELOGIN_ACCESS, RELOGIN_REFRESH, clock.instant().plus(Duration.ofHours(2))));
                assertThat(await(Duration.ofSeconds(5), () -> s.status().available()))
                        .isTrue();
                CredentialFiles.writeRaw(nativeConfig(home), "{\"accessToken\": \"" + BROKEN);
                assertThat(await(Duration.ofSeconds(5), () -> logs.count(Level.WARN, "not valid JSON") > 0))
                        .isTrue();
                shown.add(s.status().toString());
            }
            try (CredentialSource s = CredentialSources.create(nativeSettings, Map.of(), home, clock)) {
                shown.add(failure(s));
            }

            // codebuddy: refresh, then an envelope error
            write(
                    codeBuddyDir(home).resolve("Tencent-Cloud.coding-copilot.info"),
                    codeBuddyDoc(CB_ACCESS, CB_REFRESH, clock.instant().minusSeconds(1), "copilot.tencent.com"));
            CredentialSettings cb = new CredentialSettings(
                    "codebuddy", null, null, null, null, sim.codebuddyUrl(), null, null, Duration.ofMillis(100), null);
            sim.succeed();
            try (CredentialSource s = CredentialSources.create(cb, Map.of(), home, clock)) {
                Credential c = s.current();
                shown.add(c.toString());
                sim.requireRefreshToken("nothing-matches");
                shown.add(rejection(s, c));
                shown.add(s.status().toString());
            }

            // static
            CredentialSettings st = CredentialSettings.ofStaticToken(STATIC_KEY);
            try (CredentialSource s = CredentialSources.create(st, Map.of(), home, clock)) {
                shown.add(rejection(s, s.current()));
                shown.add(s.status().toString());
                shown.add(st.toString());
            }

            List<String> lines = logs.lines();
            assertThat(lines)
                    .anyMatch(l -> l.contains("refreshed the credential"))
                    .anyMatch(l -> l.contains("failed"))
                    .anyMatch(l -> l.contains("readable by others"));
            List<String> secrets = new ArrayList<>(List.of(
                    NATIVE_ACCESS,
                    NATIVE_REFRESH,
                    RELOGIN_ACCESS,
                    RELOGIN_REFRESH,
                    BROKEN,
                    CB_ACCESS,
                    CB_REFRESH,
                    STATIC_KEY));
            for (int i = 1; i <= sim.calls() + 1; i++) {
                secrets.add(sim.accessToken(i));
                secrets.add(sim.refreshToken(i));
            }
            List<String> everything = new ArrayList<>(lines);
            everything.addAll(shown);
            for (String secret : secrets) {
                assertThat(everything)
                        .as("output mentioning " + secret.substring(0, 8) + "…")
                        .noneMatch(l -> l.contains(secret));
            }
            assertThat(everything).noneMatch(l -> l.contains("SECRET-"));
        }
    }

    private static String failure(CredentialSource s) {
        try {
            return "unexpected: " + s.current();
        } catch (CredentialUnavailableException e) {
            return e.getMessage();
        }
    }

    private static String rejection(CredentialSource s, Credential c) {
        try {
            return "refreshed: " + s.refreshAfterRejection(c);
        } catch (CredentialUnavailableException e) {
            return e.getMessage();
        }
    }
}
