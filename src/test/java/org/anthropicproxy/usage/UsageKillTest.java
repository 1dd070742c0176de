package org.anthropicproxy.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of a JVM recording usage: the database opens intact, holds every request up to some point with no
 * gap, and what is lost was handed over in the last second before the kill (plus the time a commit takes: one that
 * was running when the process died is lost whole).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class UsageKillTest {

    /** One commit interval, plus a commit in flight on a loaded 2-core machine. */
    private static final long MAX_LOST_SPAN_MILLIS = 1000 + 500;

    @TempDir
    Path dir;

    @Test
    void aKilledWriterLosesAtMostTheLastSecond() throws Exception {
        Path db = dir.resolve("usage.db");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(
                        java,
                        "-Xmx64m",
                        "-Dlogback.configurationFile=/nonexistent",
                        "-cp",
                        System.getProperty("java.class.path"),
                        UsageWriterMain.class.getName(),
                        db.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        Map<Long, Long> handedOver = new HashMap<>();
        long last = 0;
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            long killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3500);
            String line;
            while ((line = out.readLine()) != null) {
                String[] p = line.split(" ", -1);
                last = Long.parseLong(p[0]);
                handedOver.put(last, Long.parseLong(p[1]));
                if (System.nanoTime() > killAt && last > 500) {
                    // kill -9, not destroyForcibly(): that also closes our end of the pipe, unread lines with it
                    assertThat(new ProcessBuilder("kill", "-9", Long.toString(child.pid()))
                                    .start()
                                    .waitFor(10, TimeUnit.SECONDS))
                            .isTrue();
                    break;
                }
            }
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
            // lines written before the kill and not read yet were handed over too
            while ((line = out.readLine()) != null) {
                String[] p = line.split(" ", -1);
                if (p.length == 2 && !p[1].isEmpty()) {
                    last = Long.parseLong(p[0]);
                    handedOver.put(last, Long.parseLong(p[1]));
                }
            }
        } finally {
            child.destroyForcibly();
        }
        assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(137);

        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("ok");
            }
            long count;
            long max;
            try (ResultSet rs = s.executeQuery("SELECT count(*), max(CAST(request_id AS INTEGER)) FROM requests")) {
                rs.next();
                count = rs.getLong(1);
                max = rs.getLong(2);
            }
            assertThat(count).as("rows committed before the kill").isPositive().isEqualTo(max);
            try (ResultSet rs = s.executeQuery("SELECT requests, input_tokens FROM daily")) {
                long requests = 0;
                long input = 0;
                while (rs.next()) {
                    requests += rs.getLong(1);
                    input += rs.getLong(2);
                }
                assertThat(requests).as("aggregates committed with their rows").isEqualTo(count);
                assertThat(input).isEqualTo(count * (count + 1) / 2);
            }
            if (max < last) {
                long lostSpan = handedOver.get(last) - handedOver.get(max + 1);
                assertThat(lostSpan)
                        .as("%d requests lost, handed over within %d ms", last - max, lostSpan)
                        .isLessThanOrEqualTo(MAX_LOST_SPAN_MILLIS);
            }
        }
    }
}
