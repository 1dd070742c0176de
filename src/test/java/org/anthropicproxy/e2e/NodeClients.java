package org.anthropicproxy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The real Node clients (Claude Code and the TypeScript SDK), pinned by {@code e2e/package.json} and
 * {@code e2e/package-lock.json} and installed with {@code npm ci} into the git-ignored {@code .e2e/}. The install is
 * skipped when {@code .e2e/} already holds exactly the pinned lock and the pinned Claude Code answers
 * {@code --version}. Any failure (no npm, registry unreachable) is an {@link AssertionError} naming the cause: the
 * suite fails, it never skips.
 */
final class NodeClients {

    static final String CLAUDE_CODE_VERSION = "2.1.332";
    static final String SDK_VERSION = "1.14.0";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(10);
    /** What {@code npm ci} of the pinned lock puts in {@code .e2e/node_modules}, measured with {@code du -sh}. */
    private static final int INSTALLED_MB = 420;

    private static NodeClients installed;
    /** Why the install failed, once it has: each later caller gets a fresh error with this message. */
    private static String installFailure;

    final Path projectDir;
    final Path sources;
    final Path prefix;

    private NodeClients(Path projectDir) {
        this.projectDir = projectDir;
        this.sources = projectDir.resolve("e2e");
        this.prefix = projectDir.resolve(".e2e");
    }

    /** Installs once per JVM; a failed install fails every later caller with the same message. */
    static synchronized NodeClients get() {
        if (installFailure != null) {
            throw new AssertionError(installFailure);
        }
        if (installed == null) {
            try {
                NodeClients c = new NodeClients(Path.of("").toAbsolutePath());
                c.ensureInstalled();
                installed = c;
            } catch (AssertionError e) {
                installFailure = e.getMessage();
                throw e;
            }
        }
        return installed;
    }

    Path claude() {
        return prefix.resolve("node_modules/.bin/claude");
    }

    /** Copies a script from {@code e2e/} next to {@code .e2e/node_modules} so its imports resolve. */
    Path script(String name) {
        try {
            Path target = prefix.resolve(name);
            Files.copy(sources.resolve(name), target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void ensureInstalled() {
        if (!Files.isRegularFile(sources.resolve("package-lock.json"))) {
            throw new AssertionError(
                    "e2e/package-lock.json not found under " + projectDir + " (run the suite from the project root)");
        }
        if (upToDate()) {
            return;
        }
        try {
            Files.createDirectories(prefix);
            Files.deleteIfExists(prefix.resolve("installed.lock"));
            Files.copy(
                    sources.resolve("package.json"),
                    prefix.resolve("package.json"),
                    StandardCopyOption.REPLACE_EXISTING);
            Files.copy(
                    sources.resolve("package-lock.json"),
                    prefix.resolve("package-lock.json"),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new AssertionError("cannot prepare " + prefix + ": " + e, e);
        }
        // a one-time download, and a large one: say so before it starts rather than sit silent for minutes
        System.out.println("e2e: installing Claude Code " + CLAUDE_CODE_VERSION + " and @anthropic-ai/sdk "
                + SDK_VERSION + " from npm into " + prefix + " (about " + INSTALLED_MB
                + " MB on disk, once; kept for later runs)");
        System.out.flush();
        ProcessRun npm;
        try {
            npm = ProcessRun.run(
                    List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"),
                    prefix,
                    Map.of(),
                    false,
                    INSTALL_TIMEOUT);
        } catch (UncheckedIOException e) {
            throw new AssertionError(
                    "the end-to-end suite needs npm on the PATH to install @anthropic-ai/claude-code@"
                            + CLAUDE_CODE_VERSION + " (" + e.getCause().getMessage() + ")",
                    e);
        }
        if (npm.timedOut() || npm.exitCode() != 0) {
            throw new AssertionError("npm ci in " + prefix + " failed ("
                    + (npm.timedOut()
                            ? "timed out after " + INSTALL_TIMEOUT.toMinutes() + " min"
                            : "exit " + npm.exitCode())
                    + "): is the npm registry reachable? The end-to-end suite installs @anthropic-ai/claude-code@"
                    + CLAUDE_CODE_VERSION + " and @anthropic-ai/sdk@" + SDK_VERSION + " from it.\n"
                    + tail(npm.stderr() + npm.stdout()));
        }
        String version = claudeVersion();
        if (!version.startsWith(CLAUDE_CODE_VERSION + " ")) {
            throw new AssertionError("after npm ci, " + claude() + " --version printed '" + version + "', expected "
                    + CLAUDE_CODE_VERSION + " (Claude Code)");
        }
        try {
            Files.copy(
                    sources.resolve("package-lock.json"),
                    prefix.resolve("installed.lock"),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private boolean upToDate() {
        try {
            Path stamp = prefix.resolve("installed.lock");
            if (!Files.isRegularFile(stamp)
                    || !Arrays.equals(
                            Files.readAllBytes(stamp), Files.readAllBytes(sources.resolve("package-lock.json")))) {
                return false;
            }
            if (!SDK_VERSION.equals(installedVersion("@anthropic-ai/sdk"))
                    || !CLAUDE_CODE_VERSION.equals(installedVersion("@anthropic-ai/claude-code"))) {
                return false;
            }
            return Files.isExecutable(claude()) && claudeVersion().startsWith(CLAUDE_CODE_VERSION + " ");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private String installedVersion(String pkg) throws IOException {
        Path p = prefix.resolve("node_modules").resolve(pkg).resolve("package.json");
        if (!Files.isRegularFile(p)) {
            return null;
        }
        JsonNode n = JSON.readTree(p.toFile());
        return n.path("version").asText(null);
    }

    private String claudeVersion() {
        Path home = prefix.resolve("home");
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ProcessRun r = ProcessRun.run(
                List.of(claude().toString(), "--version"),
                prefix,
                Map.of(
                        "HOME",
                        home.toString(),
                        "CLAUDE_CONFIG_DIR",
                        home.resolve(".claude").toString(),
                        "DISABLE_AUTOUPDATER",
                        "1",
                        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
                        "1"),
                true,
                Duration.ofSeconds(60));
        return r.stdout().strip();
    }

    private static String tail(String s) {
        return s.length() <= 3000 ? s : "…" + s.substring(s.length() - 3000);
    }
}
