package org.anthropicproxy.observe;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;

/**
 * Standard output without a write per line: {@code System.out} flushes on every write, which made each access line
 * a system call. Lines collect in a buffer that {@link LogFlusher} empties a few times a second.
 */
public final class BufferedConsoleAppender extends OutputStreamAppender<ILoggingEvent> {

    @Override
    public void start() {
        setOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 16 * 1024));
        setImmediateFlush(false);
        super.start();
    }
}
