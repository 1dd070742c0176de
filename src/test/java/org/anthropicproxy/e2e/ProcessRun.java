package org.anthropicproxy.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** One finished child process: exit code (or a timeout, after which it and its descendants were destroyed) and output. */
record ProcessRun(int exitCode, boolean timedOut, String stdout, String stderr, Duration took) {

    /** Environment variables kept when {@code cleanEnv} is set: enough to find programs and run a shell. */
    private static final List<String> KEPT = List.of("PATH", "LANG", "LC_ALL", "TERM", "TMPDIR", "USER", "LOGNAME");

    static ProcessRun run(List<String> command, Path dir, Map<String, String> env, boolean cleanEnv, Duration timeout) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        if (cleanEnv) {
            pb.environment().keySet().removeIf(k -> !KEPT.contains(k));
        }
        pb.environment().putAll(env);
        long start = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
        }
        try {
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // the child does not read stdin
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        boolean finished;
        try {
            finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finished = false;
        }
        if (!finished) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        return new ProcessRun(finished ? p.exitValue() : -1, !finished, get(out), get(err), took);
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (in) {
                f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.complete("<output lost: " + e + ">");
            }
        });
        return f;
    }

    private static String get(CompletableFuture<String> f) {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return "<output not collected: " + e + ">";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "<interrupted>";
        }
    }

    String describe() {
        return (timedOut
                        ? "timed out after " + took.toSeconds() + " s"
                        : "exit " + exitCode + " after " + took.toMillis() + " ms")
                + "\n--- stdout ---\n" + tail(stdout) + "\n--- stderr ---\n" + tail(stderr);
    }

    private static String tail(String s) {
        return s.length() <= 6000 ? s : "…" + s.substring(s.length() - 6000);
    }
}
