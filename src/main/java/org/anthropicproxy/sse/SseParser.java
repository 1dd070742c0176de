package org.anthropicproxy.sse;

import java.nio.ByteBuffer;
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
 *
 * <p>Events go to a {@link RawListener} as the bytes of their data, which a listener that reads JSON parses as they
 * are, and decodes to text only what it needs; or, decoded, to a {@code Consumer<SseEvent>}.
 */
public final class SseParser {

    public static final int DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

    private static final byte[] DATA = {'d', 'a', 't', 'a'};
    private static final byte[] EVENT = {'e', 'v', 'e', 'n', 't'};

    /** An event as its name and the UTF-8 bytes of its data lines joined with LF. */
    @FunctionalInterface
    public interface RawListener {
        /**
         * @param event the {@code event:} field, or {@code null} when the event had none
         * @param data  holds the data at {@code [off, off + len)}; the parser reuses it after this call returns
         */
        void onEvent(String event, byte[] data, int off, int len);
    }

    private final RawListener listener;
    private final int maxEventBytes;

    private byte[] buf = new byte[2048]; // grows for a long event; every open stream holds one
    private int len; // bytes held in buf
    private int scan; // next byte to examine
    private int lineStart; // start of the current (incomplete) line
    private int eventStart; // start of the current event's bytes (for the size limit and partial detection)
    private boolean pendingCr; // last byte examined was CR: a following LF belongs to the same line end
    private long base; // absolute stream offset of buf[0]
    private long boundary; // absolute offset just after the last blank line (an event boundary)

    private String eventName;
    private byte[] data = new byte[256]; // the current event's data lines, joined; grows for a long one
    private int dataLen = -1; // -1: no data line yet

    public SseParser(Consumer<SseEvent> listener) {
        this(listener, DEFAULT_MAX_EVENT_BYTES);
    }

    public SseParser(Consumer<SseEvent> listener, int maxEventBytes) {
        this(
                (RawListener) (event, data, off, len) ->
                        listener.accept(new SseEvent(event, new String(data, off, len, StandardCharsets.UTF_8))),
                maxEventBytes);
    }

    public SseParser(RawListener listener) {
        this(listener, DEFAULT_MAX_EVENT_BYTES);
    }

    public SseParser(RawListener listener, int maxEventBytes) {
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

    /** Feeds what {@code bytes} has left, consuming it. */
    public void feed(ByteBuffer bytes) {
        int n = bytes.remaining();
        ensureRoom(n);
        bytes.get(buf, len, n);
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
        int fieldEnd = colon < 0 ? to : colon;
        int v = colon < 0 ? to : colon + 1;
        if (v < to && buf[v] == ' ') {
            v++;
        }
        // id, retry and unknown fields are legal and carry nothing we use
        if (is(DATA, from, fieldEnd)) {
            appendData(v, to);
        } else if (is(EVENT, from, fieldEnd)) {
            eventName = new String(buf, v, to - v, StandardCharsets.UTF_8);
        }
    }

    private boolean is(byte[] name, int from, int to) {
        return Arrays.equals(buf, from, to, name, 0, name.length);
    }

    private void appendData(int from, int to) {
        int sep = dataLen < 0 ? 0 : 1;
        int start = Math.max(dataLen, 0);
        int need = start + sep + (to - from);
        if (need > data.length) {
            data = Arrays.copyOf(data, Math.max(data.length * 2, need));
        }
        if (sep == 1) {
            data[start] = '\n';
        }
        System.arraycopy(buf, from, data, start + sep, to - from);
        dataLen = need;
    }

    private void dispatch() {
        boolean any = dataLen >= 0 || eventName != null;
        String name = eventName;
        int dataBytes = Math.max(dataLen, 0);
        eventName = null;
        dataLen = -1;
        eventStart = scan;
        boundary = base + scan;
        if (any) {
            listener.onEvent(name, data, 0, dataBytes);
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
