package org.anthropicproxy.credentials;

import static org.anthropicproxy.credentials.CredentialFiles.await;
import static org.anthropicproxy.credentials.CredentialFiles.nativeConfig;
import static org.anthropicproxy.credentials.CredentialFiles.nativeDoc;
import static org.anthropicproxy.credentials.CredentialFiles.read;
import static org.anthropicproxy.credentials.CredentialFiles.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.config.Durations;
import org.anthropicproxy.testkit.MutableClock;
import org.anthropicproxy.testkit.RefreshServerSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class NativeSourceTest {
    private static final Duration QUIET = Duration.ofHours(1);

    @TempDir
    Path home;

    private final RefreshServerSimulator sim = new RefreshServerSimulator("native");
    private final MutableClock clock = MutableClock.atSystemTime();

    @AfterEach
    void stopSimulator() {
        sim.close();
    }

    private CredentialSettings settings(Duration watch) {
        return new CredentialSettings("native", null, null, null, null, sim.nativeUrl(), null, null, watch, null);
    }

    private CredentialSource open(Duration watch) {
        return CredentialSources.create(settings(watch), Map.of(), home, clock);
    }

    private Instant in(Duration d) {
        return clock.instant().plus(d).truncatedTo(ChronoUnit.MILLIS);
    }

    // ---- the order of the Python anthropic_server.py ----

    @Test
    void envTokenWinsOverGitCredentialsAndConfig() throws Exception {
        Files.writeString(home.resolve(".git-credentials"), "https://oauth2:git-tok@git.woa.com\n");
        write(nativeConfig(home), nativeDoc("file-tok", "file-refresh", in(QUIET)));
        try (CredentialSource s =
                CredentialSources.create(settings(QUIET), Map.of("CODEBUDDY_OAUTH_TOKEN", "env-tok"), home, clock)) {
            Credential c = s.current();
            assertThat(c.secret()).isEqualTo("env-tok");
            assertThat(c.expiresAt()).isNull();
            assertThat(s.status().source()).isEqualTo("env CODEBUDDY_OAUTH_TOKEN");
        }
    }

    @Test
    void gitCredentialsLineWinsOverConfig() throws Exception {
        Files.writeString(
                home.resolve(".git-credentials"),
                "https://alice:pw@github.com\nhttps://someone:x@git.woa.com\nhttps://oauth2:ioa%2Btok+1@git.woa.com\n");
        write(nativeConfig(home), nativeDoc("file-tok", "file-refresh", in(QUIET)));
        try (CredentialSource s = open(QUIET)) {
            assertThat(s.current().secret()).isEqualTo("ioa+tok+1");
            assertThat(s.current().expiresAt()).isNull();
            assertThat(s.status().source())
                    .isEqualTo("file " + home.resolve(".git-credentials") + " (oauth2@git.woa.com)");
            assertThatThrownBy(() -> s.refreshAfterRejection(s.current()))
                    .isInstanceOf(CredentialUnavailableException.class);
        }
        assertThat(sim.calls()).isZero();
    }

    @Test
    void gitCredentialsHostIsConfigurable() throws Exception {
        Files.writeString(home.resolve(".git-credentials"), "https://oauth2:other-host-tok@git.example.com\n");
        write(nativeConfig(home), nativeDoc("file-tok", "file-refresh", in(QUIET)));
        try (CredentialSource s = open(QUIET)) {
            assertThat(s.current().secret()).isEqualTo("file-tok");
        }
        CredentialSettings custom = new CredentialSettings(
                "native", null, null, null, null, sim.nativeUrl(), null, null, QUIET, "git.example.com");
        try (CredentialSource s = CredentialSources.create(custom, Map.of(), home, clock)) {
            assertThat(s.current().secret()).isEqualTo("other-host-tok");
        }
    }

    @Test
    void configJsonIsUsedWhenNothingElseIsThere() throws Exception {
        write(nativeConfig(home), nativeDoc("file-tok", "file-refresh", in(QUIET)));
        try (CredentialSource s = open(QUIET)) {
            Credential c = s.current();
            assertThat(c.secret()).isEqualTo("file-tok");
            assertThat(c.expiresAt()).isEqualTo(in(QUIET));
            assertThat(s.status().source()).isEqualTo("file " + home.resolve(".claude-internal/config.json"));
            assertThat(s.status().available()).isTrue();
        }
        assertThat(sim.calls()).isZero();
    }

    @Test
    void expiresAtZeroMeansNeverExpires() throws Exception {
        write(nativeConfig(home), nativeDoc("forever-tok", "file-refresh", null));
        try (CredentialSource s = open(QUIET)) {
            assertThat(s.current().secret()).isEqualTo("forever-tok");
            assertThat(s.current().expiresAt()).isNull();
        }
        assertThat(sim.calls()).isZero();
    }

    @Test
    void configPathFromEnvAndFromSettingsWhichWins() throws Exception {
        write(home.resolve("env.json"), nativeDoc("env-path-tok", "r", in(QUIET)));
        write(home.resolve("settings.json"), nativeDoc("settings-path-tok", "r", in(QUIET)));
        Map<String, String> env =
                Map.of("CLAUDE_INTERNAL_CONFIG", home.resolve("env.json").toString());
        try (CredentialSource s = CredentialSources.create(settings(QUIET), env, home, clock)) {
            assertThat(s.current().secret()).isEqualTo("env-path-tok");
        }
        CredentialSettings withFile = new CredentialSettings(
                "native", null, null, "~/settings.json", null, sim.nativeUrl(), null, null, QUIET, null);
        try (CredentialSource s = CredentialSources.create(withFile, env, home, clock)) {
            assertThat(s.current().secret()).isEqualTo("settings-path-tok");
            assertThat(s.status().source()).isEqualTo("file " + home.resolve("settings.json"));
        }
    }

    @Test
    void noCredentialListsWhatWasLookedAtInOrderAndHowToLogIn() throws Exception {
        try (CredentialSource s = open(QUIET)) {
            assertThat(s.status().available()).isFalse();
            assertThatThrownBy(s::current)
                    .isInstanceOf(CredentialUnavailableException.class)
                    .message()
                    .containsSubsequence(
                            "env CODEBUDDY_OAUTH_TOKEN",
                            home.resolve(".git-credentials").toString(),
                            home.resolve(".claude-internal/config.json").toString(),
                            "claude-internal");
        }
    }

    @Test
    void malformedConfigIsReportedWithoutQuotingIt() throws Exception {
        CredentialFiles.writeRaw(nativeConfig(home), "{\"accessToken\": \"half-written-secret");
        try (CredentialSource s = open(QUIET)) {
            assertThatThrownBy(s::current)
                    .isInstanceOf(CredentialUnavailableException.class)
                    .hasMessageContaining("not valid JSON")
                    .hasMessageNotContaining("half-written-secret");
        }
    }

    // ---- refresh ----

    @Test
    void expiredTokenAtStartIsRefreshedBeforeCurrentReturns() throws Exception {
        write(nativeConfig(home), nativeDoc("old-access", "old-refresh", in(Duration.ofMinutes(-1))));
        try (CredentialSource s = open(QUIET)) {
            Credential c = s.current();

            assertThat(c.secret()).isEqualTo(sim.accessToken(1));
            assertThat(c.expiresAt()).isEqualTo(clock.instant().plusSeconds(3600));
            assertThat(sim.nativeCalls()).isEqualTo(1);
            RefreshServerSimulator.Received r = sim.last();
            assertThat(r.header("content-type")).startsWith("application/x-www-form-urlencoded");
            assertThat(r.header("oauth-token")).isEqualTo("old-access");
            assertThat(r.form())
                    .containsEntry("refresh_token", "old-refresh")
                    .containsEntry("client_id", "claude-code-internal")
                    .containsEntry("grant_type", "refresh_token");
            assertThat(s.status().lastRefreshOutcome()).isEqualTo("ok");
            assertThat(s.status().lastRefreshAt()).isEqualTo(clock.instant());
        }
    }

    @Test
    void writtenBackFileKeepsUnknownFieldsAndIsOwnerOnly() throws Exception {
        write(nativeConfig(home), nativeDoc("old-access", "old-refresh", in(Duration.ofMinutes(-1))));
        try (CredentialSource s = open(QUIET)) {
            s.current();
        }
        ObjectNode doc = read(nativeConfig(home));
        assertThat(doc.get("accessToken").asText()).isEqualTo(sim.accessToken(1));
        assertThat(doc.get("refreshToken").asText()).isEqualTo(sim.refreshToken(1));
        assertThat(doc.get("expiresAt").asLong())
                .isEqualTo(clock.instant().plusSeconds(3600).toEpochMilli());
        assertThat(doc.get("theme").asText()).isEqualTo("dark");
        assertThat(doc.at("/projects/~1src~1app/allowedTools").asText()).isEqualTo("Bash");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(nativeConfig(home))))
                .isEqualTo("rw-------");
        try (var files = Files.list(nativeConfig(home).getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("config.json");
        }
    }

    @Test
    void refreshUrlAndClientIdFromEnvironment() throws Exception {
        write(nativeConfig(home), nativeDoc("old-access", "old-refresh", in(Duration.ofMinutes(-1))));
        Map<String, String> env = Map.of("OAUTH_REFRESH_URL", sim.nativeUrl(), "OAUTH_CLIENT_ID", "0123abcd");
        CredentialSettings noUrl =
                new CredentialSettings("native", null, null, null, null, null, null, null, QUIET, null);
        try (CredentialSource s = CredentialSources.create(noUrl, env, home, clock)) {
            assertThat(s.current().secret()).isEqualTo(sim.accessToken(1));
        }
        assertThat(sim.last().form()).containsEntry("client_id", "0123abcd");
    }

    @Test
    void fiftyConcurrentCallersDuringExpiryCauseExactlyOneRefresh() throws Exception {
        write(nativeConfig(home), nativeDoc("old-access", "old-refresh", in(Duration.ofMinutes(-1))));
        CountDownLatch release = sim.holdResponses();
        try (CredentialSource s = open(QUIET);
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch arrived = new CountDownLatch(50);
            List<Future<Credential>> results = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                results.add(pool.submit(() -> {
                    arrived.countDown();
                    return s.current();
                }));
            }
            assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(await(Duration.ofSeconds(10), () -> sim.nativeCalls() == 1))
                    .isTrue();
            release.countDown();
            for (Future<Credential> f : results) {
                assertThat(f.get(10, TimeUnit.SECONDS).secret()).isEqualTo(sim.accessToken(1));
            }
        }
        assertThat(sim.nativeCalls()).isEqualTo(1);
    }

    @Test
    void tokenInsideTheBufferStaysUsableWhenRefreshFails() throws Exception {
        write(nativeConfig(home), nativeDoc("old-access", "old-refresh", in(Duration.ofMinutes(2))));
        sim.failWith(500);
        try (CredentialSource s = open(QUIET)) {
            assertThat(s.current().secret()).isEqualTo("old-access");
            assertThat(s.status().lastRefreshOutcome()).startsWith("failed: ").contains("HTTP 500");
            assertThat(s.status().available()).isTrue();
        }
    }

    @Test
    void failingEndpointBacksOffExplainsAndRecovers() throws Exception {
        write(nativeConfig(home), nativeDoc("old-access", "old-refresh", in(Duration.ofMinutes(-1))));
        sim.failWith(500);
        try (CredentialSource s = open(QUIET)) {
            assertThatThrownBy(s::current)
                    .isInstanceOf(CredentialUnavailableException.class)
                    .hasMessageContaining("HTTP 500")
                    .hasMessageContaining("next attempt in 2s")
                    .hasMessageContaining(
                            home.resolve(".claude-internal/config.json").toString())
                    .hasMessageContaining("claude-internal")
                    .hasMessageNotContaining("old-access")
                    .hasMessageNotContaining("old-refresh");
            assertThat(sim.nativeCalls()).isEqualTo(1);

            // inside the backoff window: no new call
            assertThatThrownBy(s::current)
                    .isInstanceOf(CredentialUnavailableException.class)
                    .hasMessageContaining("next attempt in");
            assertThat(sim.nativeCalls()).isEqualTo(1);
            assertThat(s.status().available()).isFalse();

            clock.advance(Duration.ofSeconds(3));
            assertThatThrownBy(s::current)
                    .isInstanceOf(CredentialUnavailableException.class)
                    .hasMessageContaining("HTTP 500");
            assertThat(sim.nativeCalls()).isEqualTo(2);

            sim.succeed();
            clock.advance(Duration.ofSeconds(5));
            assertThat(s.current().secret()).isEqualTo(sim.accessToken(1));
            assertThat(sim.nativeCalls()).isEqualTo(3);
            assertThat(s.status().lastRefreshOutcome()).isEqualTo("ok");
        }
    }

    @Test
    void backoffGrowsAndIsCappedAtSixtySeconds() throws Exception {
        write(nativeConfig(home), nativeDoc("old-access", "old-refresh", in(Duration.ofMinutes(-1))));
        sim.failWith(503);
        try (CredentialSource s = open(QUIET)) {
            List<String> waits = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                try {
                    s.current();
                } catch (CredentialUnavailableException e) {
                    waits.add(e.getMessage().replaceAll(".*next attempt in (\\d+s).*", "$1"));
                }
                clock.advance(Duration.ofSeconds(61));
            }
            assertThat(waits).containsExactly("2s", "4s", "8s", "16s", "32s", "60s", "60s");
        }
    }

    @Test
    void rejectionRefreshesOnceAndLateCallersGetTheNewerToken() throws Exception {
        write(nativeConfig(home), nativeDoc("old-access", "old-refresh", in(QUIET)));
        try (CredentialSource s = open(QUIET);
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Credential rejected = s.current();
            List<Future<Credential>> results = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                results.add(pool.submit(() -> s.refreshAfterRejection(rejected)));
            }
            for (Future<Credential> f : results) {
                assertThat(f.get(10, TimeUnit.SECONDS).secret()).isEqualTo(sim.accessToken(1));
            }
            assertThat(sim.nativeCalls()).isEqualTo(1);
            assertThat(s.refreshAfterRejection(rejected).secret()).isEqualTo(sim.accessToken(1));
            assertThat(sim.nativeCalls()).isEqualTo(1);
        }
    }

    @Test
    void rejectionThatCannotBeRefreshedMakesTheSourceUnavailable() throws Exception {
        write(nativeConfig(home), nativeDoc("old-access", "old-refresh", in(QUIET)));
        sim.failWith(500);
        try (CredentialSource s = open(QUIET)) {
            Credential rejected = s.current();
            assertThatThrownBy(() -> s.refreshAfterRejection(rejected))
                    .isInstanceOf(CredentialUnavailableException.class)
                    .hasMessageContaining("HTTP 500");
            assertThat(s.status().available()).isFalse();
            assertThatThrownBy(s::current).isInstanceOf(CredentialUnavailableException.class);
        }
    }

    @Test
    void responseWithoutRefreshTokenKeepsTheOldOne() throws Exception {
        write(nativeConfig(home), nativeDoc("old-access", "old-refresh", in(Duration.ofMinutes(-1))));
        sim.requireRefreshToken("old-refresh").omitRefreshToken(true);
        try (CredentialSource s = open(QUIET)) {
            assertThat(s.current().secret()).isEqualTo(sim.accessToken(1));
            assertThat(read(nativeConfig(home)).get("refreshToken").asText()).isEqualTo("old-refresh");
            clock.advance(Duration.ofHours(2));
            assertThat(s.current().secret()).isEqualTo(sim.accessToken(2));
        }
        assertThat(sim.received())
                .extracting(r -> r.form().get("refresh_token"))
                .containsExactly("old-refresh", "old-refresh");
    }

    @Test
    void rotatedRefreshTokenIsUsedForTheNextRefresh() throws Exception {
        write(nativeConfig(home), nativeDoc("old-access", "old-refresh", in(Duration.ofMinutes(-1))));
        sim.requireRefreshToken("old-refresh");
        try (CredentialSource s = open(QUIET)) {
            assertThat(s.current().secret()).isEqualTo(sim.accessToken(1));
            clock.advance(Duration.ofHours(2));
            assertThat(s.current().secret()).isEqualTo(sim.accessToken(2));
        }
        assertThat(sim.received())
                .extracting(r -> r.form().get("refresh_token"))
                .containsExactly("old-refresh", sim.refreshToken(1));
        assertThat(read(nativeConfig(home)).get("refreshToken").asText()).isEqualTo(sim.refreshToken(2));
    }

    @Test
    void rejectedRefreshTokenAsksForLoginUntilTheCliWritesANewOne() throws Exception {
        write(nativeConfig(home), nativeDoc("old-access", "old-refresh", in(Duration.ofMinutes(-1))));
        sim.failWith(401);
        try (CredentialSource s = open(Duration.ofMillis(100))) {
            assertThatThrownBy(s::current)
                    .isInstanceOf(CredentialUnavailableException.class)
                    .hasMessageContaining("rejected")
                    .hasMessageContaining("claude-internal");
            clock.advance(Duration.ofMinutes(5));
            assertThatThrownBy(s::current).isInstanceOf(CredentialUnavailableException.class);
            assertThat(sim.nativeCalls()).isEqualTo(1);

            write(nativeConfig(home), nativeDoc("relogin-access", "relogin-refresh", in(QUIET)));
            assertThat(await(Duration.ofSeconds(5), () -> s.status().available()))
                    .isTrue();
            assertThat(s.current().secret()).isEqualTo("relogin-access");
        }
    }

    @Test
    void keyRefreshBufferFromEnvironmentAndSettingsWins() throws Exception {
        write(nativeConfig(home), nativeDoc("old-access", "old-refresh", in(Duration.ofMinutes(10))));
        Map<String, String> env = Map.of("KEY_REFRESH_BUFFER_MS", "900000");
        CredentialSettings oneMinute = new CredentialSettings(
                "native", null, null, null, null, sim.nativeUrl(), null, Duration.ofMinutes(1), QUIET, null);
        try (CredentialSource s = CredentialSources.create(oneMinute, env, home, clock)) {
            assertThat(s.current().secret()).isEqualTo("old-access");
        }
        assertThat(sim.nativeCalls()).isZero();
        try (CredentialSource s = CredentialSources.create(settings(QUIET), env, home, clock)) {
            assertThat(s.current().secret()).isEqualTo(sim.accessToken(1));
        }
        assertThat(sim.nativeCalls()).isEqualTo(1);
    }

    @Test
    void malformedEnvironmentOverrideIsNamed() {
        assertThatThrownBy(() ->
                        CredentialSources.create(settings(null), Map.of("FILE_WATCHER_INTERVAL", "often"), home, clock))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("FILE_WATCHER_INTERVAL");
        assertThat(Durations.parseEnv("FILE_WATCHER_INTERVAL", "5", ChronoUnit.SECONDS))
                .isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parseEnv("FILE_WATCHER_INTERVAL", "250ms", ChronoUnit.SECONDS))
                .isEqualTo(Duration.ofMillis(250));
    }

    // ---- background refresh and hot reload ----

    @Test
    void backgroundRefresherRefreshesAheadOfExpiryWithoutTraffic() throws Exception {
        write(
                nativeConfig(home),
                nativeDoc(
                        "old-access",
                        "old-refresh",
                        Instant.now().plus(Duration.ofMinutes(4)).truncatedTo(ChronoUnit.MILLIS)));
        try (CredentialSource s = CredentialSources.create(settings(QUIET), Map.of(), home, Clock.systemUTC())) {
            assertThat(await(Duration.ofSeconds(10), () -> sim.nativeCalls() == 1))
                    .isTrue();
            assertThat(await(Duration.ofSeconds(5), () -> "ok".equals(s.status().lastRefreshOutcome())))
                    .isTrue();
            assertThat(s.current().secret()).isEqualTo(sim.accessToken(1));
            assertThat(read(nativeConfig(home)).get("accessToken").asText()).isEqualTo(sim.accessToken(1));
        }
        assertThat(sim.nativeCalls()).isEqualTo(1);
    }

    @Test
    void fileRewrittenByTheCliIsPickedUpWithinFiveSeconds() throws Exception {
        write(nativeConfig(home), nativeDoc("tok-a", "ref-a", in(QUIET)));
        try (CredentialSource s = open(Duration.ofMillis(100))) {
            assertThat(s.current().secret()).isEqualTo("tok-a");
            write(nativeConfig(home), nativeDoc("tok-b", "ref-b", in(QUIET.multipliedBy(2))));
            assertThat(await(Duration.ofSeconds(5), () -> secret(s).equals("tok-b")))
                    .isTrue();
        }
        assertThat(sim.calls()).isZero();
    }

    @Test
    void fileWithAnOlderTokenDoesNotReplaceTheOneInMemory() throws Exception {
        write(nativeConfig(home), nativeDoc("tok-new", "ref", in(QUIET.multipliedBy(2))));
        try (LogCapture logs = new LogCapture();
                CredentialSource s = open(Duration.ofMillis(100))) {
            write(nativeConfig(home), nativeDoc("tok-older", "ref", in(QUIET)));
            assertThat(await(Duration.ofSeconds(5), () -> logs.count(Level.INFO, "older token") > 0))
                    .isTrue();
            assertThat(s.current().secret()).isEqualTo("tok-new");
        }
    }

    @Test
    void fileReadableByOthersIsReadWithOneWarningNamingIt() throws Exception {
        Path config = nativeConfig(home);
        write(config, nativeDoc("tok-a", "ref-a", in(QUIET)));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        try (LogCapture logs = new LogCapture();
                CredentialSource s = open(Duration.ofMillis(100))) {
            assertThat(s.current().secret()).isEqualTo("tok-a");
            Files.writeString(
                    config,
                    CredentialFiles.JSON.writeValueAsString(nativeDoc("tok-b", "ref-b", in(QUIET.multipliedBy(2)))));
            assertThat(await(Duration.ofSeconds(5), () -> secret(s).equals("tok-b")))
                    .isTrue();
            assertThat(logs.count(Level.WARN, "readable by others")).isEqualTo(1);
            assertThat(logs.lines())
                    .filteredOn(l -> l.contains("readable by others"))
                    .singleElement()
                    .asString()
                    .contains(home.resolve(".claude-internal/config.json").toString())
                    .contains("rw-r--r--")
                    .doesNotContain("tok-a");
        }
    }

    private static String secret(CredentialSource s) {
        try {
            return s.current().secret();
        } catch (CredentialUnavailableException e) {
            return "";
        }
    }

    @SuppressWarnings("unused")
    private static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
