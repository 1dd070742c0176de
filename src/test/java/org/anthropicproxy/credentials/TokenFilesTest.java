package org.anthropicproxy.credentials;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class TokenFilesTest {
    @TempDir
    Path dir;

    @Test
    void atomicWriteReplacesContentWithOwnerOnlyModeAndLeavesNoTempFile() throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "old");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        TokenFiles.writeAtomically(file, "new".getBytes(StandardCharsets.UTF_8));

        assertThat(Files.readString(file)).isEqualTo("new");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("config.json");
        }
    }

    @Test
    void symlinkedFileIsUpdatedAtItsDestinationAndTheLinkSurvives() throws Exception {
        Path real = Files.createDirectories(dir.resolve("dotfiles")).resolve("config.json");
        Files.writeString(real, "old");
        Path link = Files.createSymbolicLink(dir.resolve("config.json"), real);

        TokenFiles.writeAtomically(link, "new".getBytes(StandardCharsets.UTF_8));

        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readString(real)).isEqualTo("new");
    }

    @Test
    void widerModeIsDetected() throws Exception {
        Path file = dir.resolve("f");
        Files.writeString(file, "x");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThat(TokenFiles.widerThanOwnerOnly(file)).isNull();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw----r--"));
        assertThat(TokenFiles.widerThanOwnerOnly(file)).isNotNull();
    }

    @Test
    void gitCredentialsNeedsTheOauth2UserOnTheConfiguredHost() throws Exception {
        Path file = dir.resolve(".git-credentials");
        Files.writeString(file, """
                not a url at all
                https://oauth2:wrong-host@git.example.org
                https://alice:not-oauth2@git.woa.com
                https://oauth2:with%3Acolon@git.woa.com:8443
                """);
        assertThat(GitCredentials.oauth2Token(file, "git.woa.com")).contains("with:colon");
        assertThat(GitCredentials.oauth2Token(file, "git.example.org")).contains("wrong-host");
        assertThat(GitCredentials.oauth2Token(file, "git.other.net")).isEmpty();
        assertThat(GitCredentials.oauth2Token(dir.resolve("missing"), "git.woa.com"))
                .isEmpty();
    }
}
