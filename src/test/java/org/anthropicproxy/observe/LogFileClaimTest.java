package org.anthropicproxy.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two processes started in one directory never write one log file; the second is told which file it writes. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class LogFileClaimTest {

    @TempDir
    Path dir;

    /** Another process holding the lock, as a second proxy would: this JVM holds the other end. */
    @Test
    void aFileClaimedByAnotherProcessIsLeftToItAndTheNextFreeNameIsTaken() throws Exception {
        Path wanted = dir.resolve("anthropic_server.log");
        Process other = holdLockInAnotherProcess(LogFileClaim.lockFile(wanted));
        try {
            LogFileClaim.Claimed c = LogFileClaim.claim(wanted);

            assertThat(c.moved()).isTrue();
            assertThat(c.file()).isEqualTo(dir.resolve("anthropic_server-2.log"));
            assertThat(c.holder()).isEqualTo(Long.toString(other.pid()));
            assertThat(LogFileClaim.claim(c.file()).file())
                    .as("claiming its own file again")
                    .isEqualTo(c.file());
        } finally {
            other.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        LogFileClaim.Claimed after = LogFileClaim.claim(wanted);
        assertThat(after.moved())
                .as("free again once the other process is gone")
                .isFalse();
        assertThat(after.file()).isEqualTo(wanted);
    }

    @Test
    void alternativeNamesKeepTheExtension() {
        assertThat(LogFileClaim.alternative(Path.of("/l/anthropic_server.log"), 3))
                .isEqualTo(Path.of("/l/anthropic_server-3.log"));
        assertThat(LogFileClaim.alternative(Path.of("/l/proxy"), 2)).isEqualTo(Path.of("/l/proxy-2"));
    }

    /** A child JVM that writes its pid into the lock file, locks it, says so, and waits to be killed. */
    private static Process holdLockInAnotherProcess(Path lockFile) throws IOException, InterruptedException {
        Path src = lockFile.resolveSibling("Hold.java");
        Files.writeString(src, """
                import java.nio.channels.FileChannel;
                import java.nio.file.*;
                public class Hold {
                    public static void main(String[] a) throws Exception {
                        FileChannel ch = FileChannel.open(Path.of(a[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                        ch.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\\n").getBytes()));
                        ch.lock();
                        System.out.println("locked");
                        System.out.flush();
                        Thread.sleep(60_000);
                    }
                }
                """);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, src.toString(), lockFile.toString()))
                .redirectErrorStream(true)
                .start();
        String first = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertThat(first).as("the other process took the lock").isEqualTo("locked");
        return p;
    }
}
