package org.anthropicproxy.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.anthropicproxy.testkit.ThreadCensus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

@Timeout(20)
class LogFlusherTest {

    private static long fileSize(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    @Test
    void bufferedLinesReachTheFileWithinTheFlushPeriod(@TempDir Path dir) throws Exception {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        PatternLayoutEncoder enc = new PatternLayoutEncoder();
        enc.setContext(ctx);
        enc.setPattern("%msg%n");
        enc.start();
        FileAppender<ILoggingEvent> file = new FileAppender<>();
        file.setContext(ctx);
        file.setName("flusher-test");
        file.setFile(dir.resolve("t.log").toString());
        file.setEncoder(enc);
        file.setImmediateFlush(false);
        file.start();
        root.addAppender(file);
        ctx.getLogger("flusher-test").setLevel(Level.INFO);
        try {
            LoggerFactory.getLogger("flusher-test").info("line one");
            assertThat(Files.readString(dir.resolve("t.log")))
                    .as("buffered, not yet written")
                    .isEmpty();

            LogFlusher.start();
            assertThat(ThreadCensus.await(Duration.ofSeconds(5), () -> fileSize(dir.resolve("t.log")) > 0))
                    .as("written by the flusher within its period")
                    .isTrue();
            assertThat(Files.readString(dir.resolve("t.log"))).isEqualTo("line one\n");

            LoggerFactory.getLogger("flusher-test").info("line two");
            LogFlusher.flushNow();
            assertThat(Files.readString(dir.resolve("t.log"))).isEqualTo("line one\nline two\n");
        } finally {
            root.detachAppender(file);
            file.stop();
        }
    }
}
