package org.anthropicproxy.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

@Timeout(20)
class LogFlusherTest {

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
        ctx.getLogger("flusher-test").setLevel(ch.qos.logback.classic.Level.INFO);
        try {
            LoggerFactory.getLogger("flusher-test").info("line one");
            assertThat(Files.readString(dir.resolve("t.log"))).as("buffered, not yet written").isEmpty();

            LogFlusher.start();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (Files.readString(dir.resolve("t.log")).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
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
