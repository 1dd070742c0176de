package org.anthropicproxy.testkit;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The tests' log appender (logback-test.xml): holds the lines instead of printing them, and {@link HeldLogsExtension}
 * prints them under a test that failed and drops them after one that passed. Tests provoke errors on purpose, and
 * their expected WARN lines and stack traces would otherwise bury what needs attention.
 */
public final class HeldLogs extends AppenderBase<ILoggingEvent> {

    private static final int MAX_LINES = 5000;
    private static final ArrayDeque<String> LINES = new ArrayDeque<>();
    private static int dropped;

    private Encoder<ILoggingEvent> encoder;

    public void setEncoder(Encoder<ILoggingEvent> encoder) {
        this.encoder = encoder;
    }

    @Override
    protected void append(ILoggingEvent event) {
        String line = encoder == null
                ? event.getFormattedMessage() + "\n"
                : new String(encoder.encode(event), StandardCharsets.UTF_8);
        synchronized (LINES) {
            if (LINES.size() == MAX_LINES) {
                LINES.removeFirst();
                dropped++;
            }
            LINES.addLast(line);
        }
    }

    /** The lines held since the last call, oldest first (with a note when the oldest were dropped), and forgets them. */
    static List<String> drain() {
        synchronized (LINES) {
            List<String> out = new ArrayList<>(LINES.size() + 1);
            if (dropped > 0) {
                out.add("(" + dropped + " earlier lines dropped)\n");
            }
            out.addAll(LINES);
            LINES.clear();
            dropped = 0;
            return out;
        }
    }
}
