package org.anthropicproxy.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The status page in the real Debian Chromium ({@code /usr/bin/chromium}), driven by {@code playwright-core} pinned in
 * {@code e2e/ui/package-lock.json} and installed with {@code npm ci} into the git-ignored {@code .ui-test/} (skipped
 * when it already holds that lock). playwright-core downloads no browser. Any failure (no npm, no Chromium) is an
 * {@link AssertionError} naming the cause: the test fails, it never skips.
 */
final class StatusPageDriver {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SOURCES = Path.of("e2e/ui").toAbsolutePath();
    private static final Path PREFIX = Path.of(".ui-test").toAbsolutePath();
    private static boolean installed;

    private StatusPageDriver() {}

    static synchronized void install() {
        if (installed) {
            return;
        }
        if (!Files.isExecutable(Path.of("/usr/bin/chromium"))) {
            throw new AssertionError(
                    "the status page tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)");
        }
        try {
            Path lock = SOURCES.resolve("package-lock.json");
            Path stamp = PREFIX.resolve("installed.lock");
            if (!Files.isRegularFile(stamp)
                    || !Arrays.equals(Files.readAllBytes(stamp), Files.readAllBytes(lock))
                    || !Files.isDirectory(PREFIX.resolve("node_modules/playwright-core"))) {
                Files.createDirectories(PREFIX);
                Files.deleteIfExists(stamp);
                Files.copy(
                        SOURCES.resolve("package.json"),
                        PREFIX.resolve("package.json"),
                        StandardCopyOption.REPLACE_EXISTING);
                Files.copy(lock, PREFIX.resolve("package-lock.json"), StandardCopyOption.REPLACE_EXISTING);
                Result npm = run(List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"), 600);
                if (npm.exit != 0) {
                    throw new AssertionError(
                            "npm ci in " + PREFIX + " failed (exit " + npm.exit + "): is the npm registry reachable? "
                                    + "The status page tests install playwright-core from it.\n" + npm.output);
                }
                Files.copy(lock, stamp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.copy(
                    SOURCES.resolve("status-page.mjs"),
                    PREFIX.resolve("status-page.mjs"),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new AssertionError("cannot prepare " + PREFIX + ": " + e, e);
        }
        installed = true;
    }

    /** Runs the page script ({@code inspect}, {@code reset PROVIDER}, {@code screenshot FILE}) and returns what it saw. */
    static JsonNode run(String url, String adminKey, String... mode) {
        install();
        List<String> cmd = new ArrayList<>(
                List.of("node", PREFIX.resolve("status-page.mjs").toString(), url));
        cmd.addAll(List.of(mode));
        if (adminKey != null) {
            cmd.addAll(List.of("--key", adminKey));
        }
        Result r = run(cmd, 90);
        if (r.exit != 0) {
            throw new AssertionError("the status page script failed (exit " + r.exit + "):\n" + r.output);
        }
        String last = r.output
                .lines()
                .filter(l -> l.startsWith("{"))
                .reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no JSON from the status page script:\n" + r.output));
        try {
            return JSON.readTree(last);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private record Result(int exit, String output) {}

    private static Result run(List<String> cmd, int timeoutSeconds) {
        try {
            Path log = Files.createTempFile("status-page", ".log");
            Process p = new ProcessBuilder(cmd)
                    .directory(PREFIX.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s:\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            Files.deleteIfExists(log);
            return new Result(p.exitValue(), output);
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
