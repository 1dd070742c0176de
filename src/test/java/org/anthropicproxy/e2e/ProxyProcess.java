package org.anthropicproxy.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The proxy as a user starts it: its own JVM running {@code cli.Main} with the given arguments, in a directory and
 * with a HOME of the test's choosing (so no login of the machine it runs on is found), listening on a port it picked.
 */
final class ProxyProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final int port;
    private final StringBuilder output = new StringBuilder();

    private ProxyProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static ProxyProcess start(Path dir, Path home, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.home=" + home,
                "-Dlogback.configurationFile=" + mainLogbackConfig(),
                "-cp",
                System.getProperty("java.class.path"),
                "org.anthropicproxy.cli.Main",
                "--port",
                "0"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(Map.of("HOME", home.toString()));
        pb.environment()
                .keySet()
                .removeIf(k -> k.startsWith("XDG_") || k.startsWith("ANTHROPIC_") || k.startsWith("CODEBUDDY_"));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        @SuppressWarnings("JdkObsolete") // the reader thread appends while this one reads it on failure: it must lock
        StringBuffer out = new StringBuffer();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    out.append(line).append('\n');
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
            port.completeExceptionally(new IllegalStateException("the proxy exited before listening:\n" + out));
        });
        try {
            ProxyProcess pp = new ProxyProcess(p, port.get(60, TimeUnit.SECONDS));
            pp.output.append(out);
            return pp;
        } catch (TimeoutException | InterruptedException | ExecutionException e) {
            p.destroyForcibly();
            throw new AssertionError("the proxy did not start within 60 s:\n" + out, e);
        }
    }

    /** The proxy's own logging setup, not the tests' (which is on the same class path and would win). */
    private static String mainLogbackConfig() {
        URL url = ProxyProcess.class.getClassLoader().getResource("logback.xml");
        if (url == null) {
            throw new AssertionError("logback.xml of the main resources is not on the class path");
        }
        try {
            return Path.of(url.toURI()).toString();
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
