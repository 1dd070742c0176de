package org.anthropicproxy.observe;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Iterator;
import org.slf4j.LoggerFactory;

/**
 * Writes buffered log lines out at most {@value #PERIOD_MILLIS} ms after they were logged. The appenders do not flush
 * per line (two system calls per request, a tenth of a passthrough request's CPU); a line therefore reaches the
 * console or file within that period, and a {@code kill -9} can lose that much. A normal stop flushes everything.
 */
public final class LogFlusher {

    static final long PERIOD_MILLIS = 100;
    private static volatile Thread thread;

    private LogFlusher() {}

    /** Starts the periodic flush once per process, and a last flush when the JVM exits. */
    public static synchronized void start() {
        if (thread != null) {
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(LogFlusher::flushNow, "log-flush-at-exit"));
        thread = Thread.ofPlatform().daemon().name("log-flush").start(() -> {
            while (true) {
                try {
                    Thread.sleep(PERIOD_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
                flushNow();
            }
        });
    }

    /** Flushes every stream appender of the root logger now. */
    public static void flushNow() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return;
        }
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof OutputStreamAppender<ILoggingEvent> a) {
                OutputStream out = a.getOutputStream();
                if (out != null) {
                    try {
                        out.flush(); // the buffered streams lock their own writes: a flush never splits a line
                    } catch (IOException ignored) {
                        // a file being rolled over: its next flush carries the lines
                    }
                }
            }
        }
    }
}
