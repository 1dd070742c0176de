package org.anthropicproxy.credentials;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/** Writes credential files the way the CLIs do, and waits on conditions with a bound. */
final class CredentialFiles {
    static final ObjectMapper JSON = new ObjectMapper();

    private CredentialFiles() {}

    static Path nativeConfig(Path home) {
        return home.resolve(".claude-internal/config.json");
    }

    static Path codeBuddyDir(Path home) {
        return home.resolve(".local/share/CodeBuddyExtension/Data/Public/auth");
    }

    /** {@code ~/.claude-internal/config.json} with the three token fields and some fields the proxy must keep. */
    static ObjectNode nativeDoc(String access, String refresh, Instant expiresAt) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("accessToken", access);
        doc.put("refreshToken", refresh);
        doc.put("expiresAt", expiresAt == null ? 0 : expiresAt.toEpochMilli());
        doc.put("theme", "dark");
        doc.putObject("projects").putObject("/src/app").put("allowedTools", "Bash");
        return doc;
    }

    /** A CodeBuddy auth {@code .info} file, with the layout the CLI writes. */
    static ObjectNode codeBuddyDoc(String access, String refresh, Instant expiresAt, String domain) {
        ObjectNode doc = JSON.createObjectNode();
        ObjectNode account = doc.putObject("account");
        account.put("uid", "uid-42");
        account.put("enterpriseId", "ent-7");
        account.put("enterpriseName", "Example Corp");
        account.put("nickname", "dev");
        account.putObject("sso").put("domain", "sso.example.com");
        ObjectNode auth = doc.putObject("auth");
        auth.put("accessToken", access);
        auth.put("refreshToken", refresh);
        auth.put("expiresAt", expiresAt == null ? 0 : expiresAt.toEpochMilli());
        auth.put("refreshExpiresAt", Instant.now().plus(Duration.ofDays(60)).toEpochMilli());
        if (domain != null) {
            auth.put("domain", domain);
        }
        doc.putArray("accounts").addObject().put("uid", "uid-42");
        doc.putArray("allAccounts");
        return doc;
    }

    /** Writes like a CLI: temp file + rename, mode 0600. */
    static void write(Path file, ObjectNode doc) throws IOException {
        writeRaw(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
    }

    static void writeRaw(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".writing");
        Files.writeString(tmp, content);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static ObjectNode read(Path file) throws IOException {
        return (ObjectNode) JSON.readTree(file.toFile());
    }

    /** Polls {@code condition} every 20 ms until it holds or {@code bound} passes. */
    static boolean await(Duration bound, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(20);
        }
        return condition.getAsBoolean();
    }
}
