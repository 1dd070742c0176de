package org.anthropicproxy.testkit;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server on a free loopback port, without persistence, for tests. Fails (never skips) when the binary is
 * missing. {@link #close()} stops it and deletes its directory.
 */
public final class RedisServerProcess implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    private static final List<String> FALLBACK_DIRS =
            List.of("/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin");

    private final Process process;
    private final int port;
    private final Path dir;

    private RedisServerProcess(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    /** Starts redis-server and waits (bounded) until it answers PING. */
    public static RedisServerProcess start() {
        Path binary = findBinary();
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                return tryStart(binary);
            } catch (IllegalStateException e) {
                last = e; // most likely the free port was taken in between: try another
            }
        }
        throw last;
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:<port>} */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        deleteQuietly(dir);
    }

    static Path findBinary() {
        List<Path> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null)
            for (String d : path.split(File.pathSeparator, -1)) if (!d.isBlank()) candidates.add(Path.of(d));
        for (String d : FALLBACK_DIRS) candidates.add(Path.of(d));
        for (Path d : candidates) {
            Path p = d.resolve("redis-server");
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        throw new IllegalStateException(
                "redis-server not found: apt-get install redis-server (searched PATH and " + FALLBACK_DIRS + ")");
    }

    private static RedisServerProcess tryStart(Path binary) {
        int port = freePort();
        Path dir;
        try {
            dir = Files.createTempDirectory("redis-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path log = dir.resolve("redis.log");
        ProcessBuilder pb = new ProcessBuilder(
                        binary.toString(),
                        "--port",
                        String.valueOf(port),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--daemonize",
                        "no",
                        "--dir",
                        dir.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            deleteQuietly(dir);
            throw new IllegalStateException("cannot start " + binary + ": " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String out = readQuietly(log);
                deleteQuietly(dir);
                throw new IllegalStateException(
                        "redis-server exited with " + process.exitValue() + " on port " + port + ": " + out);
            }
            if (pings(port)) return new RedisServerProcess(process, port, dir);
            try {
                process.waitFor(50, TimeUnit.MILLISECONDS); // bounded pause that ends early if it dies
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        process.destroyForcibly();
        String out = readQuietly(log);
        deleteQuietly(dir);
        throw new IllegalStateException(
                "redis-server did not answer PING on port " + port + " within " + START_TIMEOUT + ": " + out);
    }

    private static boolean pings(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            s.setSoTimeout(500);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            return "+PONG".equals(in.readLine());
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) return;
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // temp dir; the OS cleans up eventually
        }
    }
}
