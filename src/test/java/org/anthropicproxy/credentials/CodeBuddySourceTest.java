package org.anthropicproxy.credentials;

import static org.anthropicproxy.credentials.CredentialFiles.await;
import static org.anthropicproxy.credentials.CredentialFiles.codeBuddyDir;
import static org.anthropicproxy.credentials.CredentialFiles.codeBuddyDoc;
import static org.anthropicproxy.credentials.CredentialFiles.read;
import static org.anthropicproxy.credentials.CredentialFiles.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.anthropicproxy.testkit.MutableClock;
import org.anthropicproxy.testkit.RefreshServerSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class CodeBuddySourceTest {
    private static final Duration QUIET = Duration.ofHours(1);
    private static final String CODING = "Tencent-Cloud.coding-copilot.info";
    private static final String COPILOT = "Tencent-Cloud.copilot.info";

    @TempDir
    Path home;

    private final RefreshServerSimulator sim = new RefreshServerSimulator("cb");
    private final MutableClock clock = MutableClock.atSystemTime();

    @AfterEach
    void stopSimulator() {
        sim.close();
    }

    private CredentialSettings settings(String file, String dir, Duration watch) {
        return new CredentialSettings("codebuddy", null, null, file, dir, sim.codebuddyUrl(), null, null, watch, null);
    }

    private CredentialSource open(Map<String, String> env) {
        return CredentialSources.create(settings(null, null, QUIET), env, home, clock);
    }

    private Instant in(Duration d) {
        return clock.instant().plus(d).truncatedTo(ChronoUnit.MILLIS);
    }

    private void info(Path dir, String name, String access) throws Exception {
        write(dir.resolve(name), codeBuddyDoc(access, "ref-" + access, in(QUIET), "copilot.tencent.com"));
    }

    private String secretOf(Map<String, String> env) throws Exception {
        try (CredentialSource s = open(env)) {
            return s.current().secret();
        }
    }

    @Test
    void prefersTheCliFileThenTheOriginalNameThenTheNewestInfo() throws Exception {
        Path dir = codeBuddyDir(home);
        info(dir, "older.info", "tok-older");
        info(dir, "newer.info", "tok-newer");
        Files.setLastModifiedTime(
                dir.resolve("older.info"), FileTime.from(Instant.now().minusSeconds(3600)));
        info(dir, COPILOT, "tok-copilot");
        info(dir, CODING, "tok-coding");

        assertThat(secretOf(Map.of())).isEqualTo("tok-coding");
        Files.delete(dir.resolve(CODING));
        assertThat(secretOf(Map.of())).isEqualTo("tok-copilot");
        Files.delete(dir.resolve(COPILOT));
        assertThat(secretOf(Map.of())).isEqualTo("tok-newer");
    }

    @Test
    void fileWithALoggedOutMarkerIsIgnored() throws Exception {
        Path dir = codeBuddyDir(home);
        info(dir, CODING, "tok-coding");
        Files.writeString(dir.resolve(CODING + ".logged-out"), "");
        info(dir, "older.info", "tok-older");
        Files.setLastModifiedTime(
                dir.resolve("older.info"), FileTime.from(Instant.now().minusSeconds(3600)));
        info(dir, "newer.info", "tok-newer");
        Files.writeString(dir.resolve("newer.info.logged-out"), "");

        assertThat(secretOf(Map.of())).isEqualTo("tok-older");
    }

    @Test
    void environmentAndSettingsChooseTheFileOrDirectory() throws Exception {
        info(home.resolve("xdg/" + CredentialSources.CODEBUDDY_AUTH_SUBDIR), CODING, "tok-xdg");
        info(home.resolve("envdir"), CODING, "tok-envdir");
        info(home.resolve("setdir"), CODING, "tok-setdir");
        info(home, "env-file.info", "tok-envfile");
        info(home, "set-file.info", "tok-setfile");

        assertThat(secretOf(Map.of("XDG_DATA_HOME", home.resolve("xdg").toString())))
                .isEqualTo("tok-xdg");
        Map<String, String> envDir =
                Map.of("CODEBUDDY_AUTH_DIR", home.resolve("envdir").toString());
        assertThat(secretOf(envDir)).isEqualTo("tok-envdir");
        try (CredentialSource s = CredentialSources.create(settings(null, "~/setdir", QUIET), envDir, home, clock)) {
            assertThat(s.current().secret()).isEqualTo("tok-setdir");
        }
        Map<String, String> envFile = Map.of(
                "CODEBUDDY_AUTH_FILE",
                home.resolve("env-file.info").toString(),
                "CODEBUDDY_AUTH_DIR",
                home.resolve("envdir").toString());
        assertThat(secretOf(envFile)).isEqualTo("tok-envfile");
        try (CredentialSource s =
                CredentialSources.create(settings("~/set-file.info", null, QUIET), envFile, home, clock)) {
            assertThat(s.current().secret()).isEqualTo("tok-setfile");
            assertThat(s.status().source()).isEqualTo("file " + home.resolve("set-file.info"));
        }
    }

    @Test
    void accountFactsComeFromTheFile() throws Exception {
        Path file = codeBuddyDir(home).resolve(CODING);
        write(file, codeBuddyDoc("tok", "ref", in(QUIET), "copilot.tencent.com"));
        try (CredentialSource s = open(Map.of())) {
            assertThat(s.current().account())
                    .containsExactlyInAnyOrderEntriesOf(Map.of(
                            "uid",
                            "uid-42",
                            "enterpriseId",
                            "ent-7",
                            "tenantId",
                            "ent-7",
                            "domain",
                            "copilot.tencent.com"));
        }
        ObjectNode doc = codeBuddyDoc("tok", "ref", in(QUIET), null);
        ((ObjectNode) doc.get("account")).put("tenantId", "tenant-9");
        write(file, doc);
        try (CredentialSource s = open(Map.of())) {
            assertThat(s.current().account())
                    .containsEntry("domain", "sso.example.com")
                    .containsEntry("tenantId", "tenant-9");
        }
    }

    @Test
    void refreshSendsTheCodeBuddyHeadersAndWritesBackPreservingFields() throws Exception {
        Path file = codeBuddyDir(home).resolve(CODING);
        write(file, codeBuddyDoc("old-access", "old-refresh", in(Duration.ofMinutes(-1)), "copilot.tencent.com"));
        try (CredentialSource s = open(Map.of())) {
            Credential c = s.current();
            assertThat(c.secret()).isEqualTo(sim.accessToken(1));
            assertThat(c.expiresAt()).isEqualTo(clock.instant().plusSeconds(3600));
            assertThat(c.account()).containsEntry("uid", "uid-42");
        }
        RefreshServerSimulator.Received r = sim.last();
        assertThat(r.header("authorization")).isEqualTo("Bearer old-access");
        assertThat(r.header("x-refresh-token")).isEqualTo("old-refresh");
        assertThat(r.header("x-auth-refresh-source")).isEqualTo("plugin");
        assertThat(r.header("x-user-id")).isEqualTo("uid-42");
        assertThat(r.header("x-enterprise-id")).isEqualTo("ent-7");
        assertThat(r.header("x-tenant-id")).isEqualTo("ent-7");
        assertThat(r.header("x-domain")).isEqualTo("copilot.tencent.com");
        assertThat(r.body()).isEqualTo("{}");

        ObjectNode doc = read(file);
        assertThat(doc.at("/auth/accessToken").asText()).isEqualTo(sim.accessToken(1));
        assertThat(doc.at("/auth/refreshToken").asText()).isEqualTo(sim.refreshToken(1));
        assertThat(doc.at("/auth/expiresAt").asLong())
                .isEqualTo(clock.instant().plusSeconds(3600).toEpochMilli());
        assertThat(doc.at("/auth/lastRefreshTime").asLong())
                .isEqualTo(clock.instant().toEpochMilli());
        assertThat(doc.at("/auth/domain").asText()).isEqualTo("copilot.tencent.com");
        assertThat(doc.at("/account/enterpriseName").asText()).isEqualTo("Example Corp");
        assertThat(doc.at("/account/sso/domain").asText()).isEqualTo("sso.example.com");
        assertThat(doc.get("accounts").size()).isEqualTo(1);
        assertThat(doc.has("allAccounts")).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
    }

    @Test
    void acceptsExpiresAtStyleAndKeepsOldRefreshTokenWhenNoneComesBack() throws Exception {
        Path file = codeBuddyDir(home).resolve(CODING);
        write(file, codeBuddyDoc("old-access", "old-refresh", in(Duration.ofMinutes(-1)), null));
        sim.expiresAtStyle(true).omitRefreshToken(true);
        Instant before = Instant.now();
        try (CredentialSource s = open(Map.of())) {
            Credential c = s.current();
            assertThat(c.secret()).isEqualTo(sim.accessToken(1));
            assertThat(c.expiresAt())
                    .isBetween(
                            before.plusSeconds(3600).truncatedTo(ChronoUnit.MILLIS),
                            Instant.now().plusSeconds(3600));
        }
        assertThat(read(file).at("/auth/refreshToken").asText()).isEqualTo("old-refresh");
    }

    @Test
    void envelopeErrorIsReportedAndMeansLogInAgain() throws Exception {
        write(
                codeBuddyDir(home).resolve(CODING),
                codeBuddyDoc("old-access", "old-refresh", in(Duration.ofMinutes(-1)), null));
        sim.requireRefreshToken("a-different-refresh-token");
        try (CredentialSource s = open(Map.of())) {
            assertThatThrownBy(s::current)
                    .isInstanceOf(CredentialUnavailableException.class)
                    .hasMessageContaining("code 11002")
                    .hasMessageContaining("refresh token invalid or expired")
                    .hasMessageContaining("codebuddy")
                    .hasMessageNotContaining("old-refresh");
            clock.advance(Duration.ofMinutes(2));
            assertThatThrownBy(s::current).isInstanceOf(CredentialUnavailableException.class);
        }
        assertThat(sim.codebuddyCalls()).isEqualTo(1);
    }

    @Test
    void refreshUrlFollowsTheAccountDomainUnlessConfigured() {
        StoredToken withDomain = new StoredToken("a", "r", null, Map.of("domain", "copilot.example.com"));
        StoredToken noDomain = new StoredToken("a", "r", null, Map.of());
        assertThat(new CodeBuddyAuthFileFormat(null).refreshUrlFor(withDomain))
                .isEqualTo(URI.create("https://copilot.example.com/v2/plugin/auth/token/refresh"));
        assertThat(new CodeBuddyAuthFileFormat(null).refreshUrlFor(noDomain))
                .isEqualTo(URI.create("https://copilot.tencent.com/v2/plugin/auth/token/refresh"));
        URI configured = URI.create("https://refresh.example.net/x");
        assertThat(new CodeBuddyAuthFileFormat(configured).refreshUrlFor(withDomain))
                .isEqualTo(configured);
    }

    @Test
    void encryptedWorkBuddyFileIsExplained() throws Exception {
        ObjectNode doc = codeBuddyDoc("x", "y", in(QUIET), null);
        ObjectNode enc = ((ObjectNode) doc.get("auth")).putObject("accessToken");
        enc.put("$wbEncrypted", 1);
        enc.put("envelope", "ZW5jcnlwdGVkLXNlY3JldA==");
        write(codeBuddyDir(home).resolve(CODING), doc);
        try (CredentialSource s = open(Map.of())) {
            assertThatThrownBy(s::current)
                    .isInstanceOf(CredentialUnavailableException.class)
                    .hasMessageContaining("encrypted")
                    .hasMessageContaining("codebuddy")
                    .hasMessageNotContaining("ZW5jcnlwdGVkLXNlY3JldA==");
        }
    }

    @Test
    void noFileListsTheCandidatesInOrderAndHowToLogIn() throws Exception {
        try (CredentialSource s = open(Map.of())) {
            assertThat(s.status().source())
                    .isEqualTo("dir " + home.resolve(".local/share/CodeBuddyExtension/Data/Public/auth"));
            assertThatThrownBy(s::current)
                    .isInstanceOf(CredentialUnavailableException.class)
                    .message()
                    .containsSubsequence(
                            home.resolve(".local/share/CodeBuddyExtension/Data/Public/auth/" + CODING)
                                    .toString(),
                            "/" + COPILOT,
                            "/*.info",
                            "`codebuddy`");
        }
    }

    @Test
    void aLoginIntoThePreferredFileIsPickedUpWithoutRestart() throws Exception {
        Path dir = codeBuddyDir(home);
        info(dir, "snapshot.info", "tok-snapshot");
        try (CredentialSource s =
                CredentialSources.create(settings(null, null, Duration.ofMillis(100)), Map.of(), home, clock)) {
            assertThat(s.current().secret()).isEqualTo("tok-snapshot");
            info(dir, CODING, "tok-login");
            assertThat(await(Duration.ofSeconds(5), () -> {
                        try {
                            return s.current().secret().equals("tok-login");
                        } catch (CredentialUnavailableException e) {
                            return false;
                        }
                    }))
                    .isTrue();
        }
        assertThat(sim.calls()).isZero();
    }
}
