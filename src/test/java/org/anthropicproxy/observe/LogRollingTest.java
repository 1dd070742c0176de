package org.anthropicproxy.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.status.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The shipped logging setup keeps its promise of 10 MB × 5 whatever the rate of lines. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LogRollingTest {

    private static final long WRITTEN = 50L * 1024 * 1024;
    private static final long LIMIT = 11L * 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void fiftyMegabytesOfAccessLinesAsFastAsTheyComeLeaveNoFileOverElevenMegabytesAndAtMostFiveRolled()
            throws Exception {
        Path log = dir.resolve("anthropic_server.log");
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        context.putProperty("anthropic.proxy.log.file", log.toString());
        JoranConfigurator joran = new JoranConfigurator();
        joran.setContext(context);
        joran.doConfigure(getClass().getResource("/logback.xml"));
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        // the console would get the same 50 MB; stopping it would close the standard output the test runner talks
        // through
        root.detachAppender("CONSOLE");
        try {
            assertThat(context.getStatusManager().getCopyOfStatusList()).noneMatch(s -> s.getLevel() >= Status.WARN);
            org.slf4j.Logger access = context.getLogger("access");
            String line =
                    "POST /v1/messages model=claude-sonnet-4-5 -> native/claude-4.5-sonnet status=200 stream=true "
                            + "ttfb_ms=412.3 total_ms=5120.8 in=1200 out=340 cache_read=0 cache_write=0 req=req_proxy_";
            AtomicLong bytes = new AtomicLong();
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                writers.add(Thread.ofPlatform().start(() -> {
                    long n = 0;
                    while (bytes.get() < WRITTEN) {
                        String l = line + (n++);
                        access.info(l);
                        bytes.addAndGet(l.length() + 50); // the line, its timestamp, level and logger name
                    }
                }));
            }
            for (Thread w : writers) {
                w.join();
            }
            assertThat(context.getStatusManager().getCopyOfStatusList()).noneMatch(s -> s.getLevel() >= Status.WARN);
        } finally {
            context.stop();
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().startsWith("anthropic_server.log"))
                    .sorted()
                    .toList();
        }
        long total = 0;
        for (Path f : files) {
            assertThat(Files.size(f)).as(f.getFileName().toString()).isLessThanOrEqualTo(LIMIT);
            total += Files.size(f);
        }
        assertThat(files)
                .as("the active file and at most five rolled ones")
                .contains(log)
                .filteredOn(p -> !p.equals(log))
                .hasSizeBetween(1, 5);
        assertThat(total).as("what was kept: the newest lines, up to 60 MB").isGreaterThan(40L * 1024 * 1024);
    }
}
