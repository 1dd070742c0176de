package org.anthropicproxy.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real forward proxy: Debian's {@code tinyproxy} (installed by {@code .ci/run}) started in the foreground on a free
 * loopback port with a config written for the test, optionally requiring Basic credentials or allowing
 * {@code CONNECT} to some ports only. Its log shows every request it relayed ({@link #log()}).
 */
public final class TinyProxy implements AutoCloseable {

    public static final String BINARY = "/usr/bin/tinyproxy";

    private final Process process;
    private final int port;
    private final Path logFile;

    private TinyProxy(Process process, int port, Path logFile) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
    }

    /**
     * @param basicAuth    {@code user:password} the proxy requires, or null
     * @param connectPorts the only ports {@code CONNECT} may reach (others get 403), or empty for any
     */
    public static TinyProxy start(Path dir, String basicAuth, List<Integer> connectPorts) {
        try {
            Files.createDirectories(dir);
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            Path log = dir.resolve("tinyproxy.log");
            StringBuilder conf = new StringBuilder()
                    .append("Port ")
                    .append(port)
                    .append('\n')
                    .append("Listen 127.0.0.1\n")
                    .append("Timeout 30\n")
                    .append("LogFile \"")
                    .append(log)
                    .append("\"\n")
                    .append("LogLevel Info\n")
                    .append("MaxClients 64\n")
                    .append("Allow 127.0.0.1\n")
                    .append("DisableViaHeader Yes\n");
            if (basicAuth != null) {
                String[] up = basicAuth.split(":", 2);
                conf.append("BasicAuth ")
                        .append(up[0])
                        .append(' ')
                        .append(up[1])
                        .append('\n');
            }
            connectPorts.forEach(p -> conf.append("ConnectPort ").append(p).append('\n'));
            Path confFile = dir.resolve("tinyproxy.conf");
            Files.writeString(confFile, conf.toString());
            Process p = new ProcessBuilder(BINARY, "-d", "-c", confFile.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("tinyproxy.out").toFile())
                    .start();
            TinyProxy proxy = new TinyProxy(p, port, log);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (true) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return proxy;
                } catch (IOException notYet) {
                    if (!p.isAlive() || System.nanoTime() > deadline) {
                        proxy.close();
                        throw new IllegalStateException(
                                "tinyproxy did not start: " + Files.readString(dir.resolve("tinyproxy.out")));
                    }
                    Thread.sleep(50);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:port}, with {@code userInfo@} when not null. */
    public String url(String userInfo) {
        return "http://" + (userInfo == null ? "" : userInfo + "@") + "127.0.0.1:" + port;
    }

    /** What it logged so far. */
    public String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How many requests it logged with this request line start ({@code CONNECT 127.0.0.1:8443}, {@code POST http://…}). */
    public long requests(String lineStart) {
        return log().lines()
                .filter(l -> l.contains("Request (file descriptor") && l.contains("): " + lineStart))
                .count();
    }

    /** Stops it at once (SIGKILL): connections through it drop. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        kill();
    }
}
