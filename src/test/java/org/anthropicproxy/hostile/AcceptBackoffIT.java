package org.anthropicproxy.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.testkit.RawHttpExchange;
import org.anthropicproxy.testkit.SocketUpstream;
import org.anthropicproxy.testkit.ThreadCensus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Out of file descriptors (the proxy started under {@code ulimit -n 256}, then more connections than it may open):
 * accept fails with EMFILE while connections wait in the backlog. The proxy backs off instead of retrying at once,
 * so its CPU time (read from /proc/&lt;pid&gt;/stat) stays low, and it accepts again once descriptors are free.
 */
class AcceptBackoffIT {

    private static final int MAX_FILES = 256;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void outOfFileDescriptorsTheAcceptLoopBacksOffAndRecovers() throws Exception {
        try (SocketUpstream upstream =
                        new SocketUpstream(c -> c.readRequest().write(Wire.answer("connection: close\r\n")));
                HostileProxy proxy =
                        HostileProxy.start(dir, HostileProxy.config(upstream.baseUrl(), ""), "256m", MAX_FILES)) {
            assertThat(Files.readString(Path.of("/proc", Long.toString(proxy.pid()), "limits")))
                    .containsPattern("Max open files\\s+" + MAX_FILES + "\\s");
            // warm: what a request needs (classes, the upstream client) is loaded before descriptors run out
            assertThat(RawHttpExchange.send(proxy.port(), Wire.post(Wire.MESSAGE, ""), false, Duration.ofSeconds(10))
                            .status())
                    .isEqualTo(200);
            int spare = MAX_FILES - proxy.openFiles();
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < spare + 30; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 5000); // the backlog takes the rest
                    clients.add(s);
                }
                assertThat(ThreadCensus.await(Duration.ofSeconds(10), () -> openFiles(proxy) >= MAX_FILES - 1))
                        .as("the proxy ran out of descriptors (%d open)", openFiles(proxy))
                        .isTrue();
                long before = proxy.cpuTicks();
                long start = System.nanoTime();
                Thread.sleep(3000); // the measurement window: EMFILE goes on all along
                long ticks = proxy.cpuTicks() - before;
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                // a spinning accept loop takes a whole core (100 ticks a second); backing off takes next to nothing
                assertThat(ticks * 10)
                        .as("CPU ms used in %d ms out of descriptors", ms)
                        .isLessThan(ms / 4);
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
            }
            assertThat(ThreadCensus.await(Duration.ofSeconds(15), () -> health(proxy) == 200))
                    .as("accepting again once descriptors are free")
                    .isTrue();
        }
    }

    private static int openFiles(HostileProxy proxy) {
        try {
            return proxy.openFiles();
        } catch (IOException e) {
            return -1;
        }
    }

    private static int health(HostileProxy proxy) {
        try {
            return RawHttpExchange.send(
                            proxy.port(), "GET /health HTTP/1.1\r\nhost: x\r\n\r\n", false, Duration.ofSeconds(3))
                    .status();
        } catch (IOException e) {
            return -1;
        }
    }
}
