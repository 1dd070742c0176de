package org.anthropicproxy.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.status.Status;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogTimestampConverterTest {

    @Test
    void writesWhatLogbacksDateConverterWritesForThePatternsWeUse() {
        Random r = new Random(7);
        for (String pattern : List.of("HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX")) {
            LogTimestampConverter c = converter(pattern);
            DateTimeFormatter expected = DateTimeFormatter.ofPattern(pattern).withZone(ZoneId.systemDefault());
            long t = 1_795_000_000_000L;
            for (int i = 0; i < 20_000; i++) {
                t += r.nextInt(4) == 0 ? r.nextInt(5_000) : r.nextInt(3); // same millisecond, same second, next seconds
                assertThat(c.convert(event(t)))
                        .as("%s at %d", pattern, t)
                        .isEqualTo(expected.format(Instant.ofEpochMilli(t)));
            }
            assertThat(c.convert(event(t - 86_400_000L)))
                    .as("an earlier day, after a later one")
                    .isEqualTo(expected.format(Instant.ofEpochMilli(t - 86_400_000L)));
        }
    }

    @Test
    void theShippedConfigurationWritesItsLinesWithIt(@TempDir Path dir) throws Exception {
        LoggerContext context = new LoggerContext();
        context.putProperty("anthropic.proxy.log.file", dir.resolve("proxy.log").toString());
        JoranConfigurator joran = new JoranConfigurator();
        joran.setContext(context);
        joran.doConfigure(getClass().getResource("/logback.xml"));
        try {
            assertThat(context.getStatusManager().getCopyOfStatusList()).noneMatch(s -> s.getLevel() >= Status.WARN);
            Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
            LoggingEvent e = event(1_795_000_123_456L);
            e.setLoggerName("access");
            e.setMessage("POST /v1/messages");
            ZoneId zone = ZoneId.systemDefault();
            for (String[] appenderAndPattern :
                    new String[][] {{"CONSOLE", "HH:mm:ss.SSS"}, {"FILE", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"}}) {
                var appender = (OutputStreamAppender<ILoggingEvent>) root.getAppender(appenderAndPattern[0]);
                var encoder = (LayoutWrappingEncoder<ILoggingEvent>) appender.getEncoder();
                assertThat(encoder.getLayout().doLayout(e))
                        .isEqualTo(DateTimeFormatter.ofPattern(appenderAndPattern[1])
                                        .withZone(zone)
                                        .format(Instant.ofEpochMilli(e.getTimeStamp()))
                                + " INFO  access - POST /v1/messages\n");
            }
        } finally {
            // stopping the console appender would close the JVM's standard output, which the test runner talks through
            context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender("CONSOLE");
            context.stop();
        }
    }

    private static LogTimestampConverter converter(String pattern) {
        LogTimestampConverter c = new LogTimestampConverter();
        c.setOptionList(List.of(pattern));
        c.setContext(new LoggerContext());
        c.start();
        return c;
    }

    private static LoggingEvent event(long millis) {
        LoggingEvent e = new LoggingEvent();
        e.setLevel(Level.INFO);
        e.setTimeStamp(millis);
        return e;
    }
}
