package org.anthropicproxy.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real SOCKS5 server: Debian's {@code microsocks} (installed by {@code .ci/run}) on a free loopback port, with
 * username/password authentication when given.
 */
public final class MicroSocks implements AutoCloseable {

    public static final String BINARY = "/usr/bin/microsocks";

    private final Process process;
    private final int port;

    private MicroSocks(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** @param userPassword {@code user:password} it requires, or null for none */
    public static MicroSocks start(Path dir, String userPassword) {
        try {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            List<String> cmd = new ArrayList<>(List.of(BINARY, "-i", "127.0.0.1", "-p", String.valueOf(port)));
            if (userPassword != null) {
                String[] up = userPassword.split(":", 2);
                cmd.addAll(List.of("-u", up[0], "-P", up[1]));
            }
            Files.createDirectories(dir);
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("microsocks.out").toFile())
                    .start();
            MicroSocks socks = new MicroSocks(p, port);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (true) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return socks;
                } catch (IOException notYet) {
                    if (!p.isAlive() || System.nanoTime() > deadline) {
                        socks.close();
                        throw new IllegalStateException("microsocks did not start");
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

    /** {@code scheme://[userInfo@]127.0.0.1:port}. */
    public String url(String scheme, String userInfo) {
        return scheme + "://" + (userInfo == null ? "" : userInfo + "@") + "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
