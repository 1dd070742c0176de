package org.anthropicproxy.sse;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Incremental parser for {@code text/event-stream} bytes (WHATWG SSE rules: LF, CR or CRLF line ends, comment
 * lines starting with ':', one optional space after the field colon, data lines joined with LF).
 *
 * <p>Bytes may be fed split anywhere, including inside a UTF-8 character or a line ending: lines are decoded only
 * once complete. A single event larger than {@code maxEventBytes} fails with {@link SseException} rather than
 * buffering without bound.
 */
public final class SseParser {

    public static final int DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

    private final Consumer<SseEvent> listener;
    private final int maxEventBytes;

    private byte[] buf = new byte[2048]; // grows for a long event; every open stream holds one
    private int len;           // bytes held in buf
    private int scan;          // next byte to examine
    private int lineStart;     // start of the current (incomplete) line
    private int eventStart;    // start of the current event's bytes (for the size limit and partial detection)
    private boolean pendingCr; // last byte examined was CR: a following LF belongs to the same line end
    private long base;         // absolute stream offset of buf[0]
    private long boundary;     // absolute offset just after the last blank line (an event boundary)

    private String eventName;
    private StringBuilder data;
    private boolean sawField;

    public SseParser(Consumer<SseEvent> listener) {
        this(listener, DEFAULT_MAX_EVENT_BYTES);
    }

    public SseParser(Consumer<SseEvent> listener, int maxEventBytes) {
        this.listener = listener;
        this.maxEventBytes = maxEventBytes;
    }

    public void feed(byte[] bytes) {
        feed(bytes, 0, bytes.length);
    }

    public void feed(byte[] bytes, int off, int n) {
        ensureRoom(n);
        System.arraycopy(bytes, off, buf, len, n);
        len += n;
        process();
    }

    /**
     * Absolute offset (bytes fed so far count from 0) just past the last blank line seen. Everything before it forms
     * complete events, so a forwarder that writes only up to here never hands a client half an event.
     */
    public long boundary() {
        return boundary;
    }

    /** True when bytes of an event arrived but the event was never terminated by a blank line. */
    public boolean hasPartialEvent() {
        return len > eventStart && hasContent(eventStart, len);
    }

    private boolean hasContent(int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] != '\n' && buf[i] != '\r') {
                return true;
            }
        }
        return false;
    }

    private void process() {
        while (scan < len) {
            byte b = buf[scan];
            if (pendingCr) {
                pendingCr = false;
                if (b == '\n') {
                    scan++;
                    lineStart = scan;
                    continue;
                }
            }
            if (b == '\n' || b == '\r') {
                int lineEnd = scan;
                scan++;
                if (b == '\r') {
                    pendingCr = true;
                }
                handleLine(lineStart, lineEnd);
                lineStart = scan;
            } else {
                scan++;
            }
        }
        if (len - eventStart > maxEventBytes) {
            throw new SseException("event larger than " + maxEventBytes + " bytes");
        }
        compact();
    }

    private void handleLine(int from, int to) {
        if (from == to) {
            dispatch();
            return;
        }
        if (buf[from] == ':') {
            return;
        }
        int colon = -1;
        for (int i = from; i < to; i++) {
            if (buf[i] == ':') {
                colon = i;
                break;
            }
        }
        String field;
        String value;
        if (colon < 0) {
            field = ascii(from, to);
            value = "";
        } else {
            field = ascii(from, colon);
            int v = colon + 1;
            if (v < to && buf[v] == ' ') {
                v++;
            }
            value = new String(buf, v, to - v, StandardCharsets.UTF_8);
        }
        switch (field) {
            case "data" -> {
                if (data == null) {
                    data = new StringBuilder(value.length());
                } else {
                    data.append('\n');
                }
                data.append(value);
                sawField = true;
            }
            case "event" -> {
                eventName = value;
                sawField = true;
            }
            default -> sawField = true; // id, retry and unknown fields are legal and carry nothing we use
        }
    }

    private String ascii(int from, int to) {
        return new String(buf, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private void dispatch() {
        SseEvent ev = sawField && (data != null || eventName != null)
                ? new SseEvent(eventName, data == null ? "" : data.toString())
                : null;
        eventName = null;
        data = null;
        sawField = false;
        eventStart = scan;
        boundary = base + scan;
        if (ev != null) {
            listener.accept(ev);
        }
    }

    private void ensureRoom(int n) {
        if (len + n > buf.length) {
            compact();
            if (len + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
            }
        }
    }

    private void compact() {
        int keep = Math.min(eventStart, lineStart);
        if (keep == 0) {
            return;
        }
        System.arraycopy(buf, keep, buf, 0, len - keep);
        len -= keep;
        base += keep;
        scan -= keep;
        lineStart -= keep;
        eventStart -= keep;
    }
}
