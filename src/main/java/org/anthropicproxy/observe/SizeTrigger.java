package org.anthropicproxy.observe;

import ch.qos.logback.core.rolling.TriggeringPolicyBase;
import ch.qos.logback.core.util.FileSize;
import java.io.File;

/**
 * Rolls the log when it reaches {@code maxFileSize}, looking at the file's size every {@value #CHECK_EVERY} lines.
 * Logback's own {@code SizeBasedTriggeringPolicy} looks at most once a minute by default: a proxy logging a few
 * thousand lines a second wrote a 117 MB file under a 10 MB promise. A size check is one {@code stat} call, so every
 * {@value #CHECK_EVERY}th line costs nothing measurable, and the file passes its size by at most that many lines plus
 * the appender's buffer (LogRollingTest writes 50 MB as fast as it can and finds no file over 11 MB).
 */
public final class SizeTrigger<E> extends TriggeringPolicyBase<E> {

    static final int CHECK_EVERY = 32;

    private long maxBytes = FileSize.valueOf("10MB").getSize();
    private int sinceCheck;

    public void setMaxFileSize(FileSize size) {
        this.maxBytes = size.getSize();
    }

    /** Called by the appender under its lock, before the event is written. */
    @Override
    public boolean isTriggeringEvent(File activeFile, E event) {
        if (++sinceCheck < CHECK_EVERY) {
            return false;
        }
        sinceCheck = 0;
        return activeFile.length() >= maxBytes;
    }
}
