package org.anthropicproxy.http1;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.util.Callback;

/**
 * The way out of one {@link Http1Connection}: the response head (status line, {@code Content-Length} or chunked
 * framing, {@code Connection}), the framing of each body part, and the queue of writes the socket has not yet taken.
 * It owns the write queue; the exchange state it reads and sets ({@code committed}, {@code chunked}, ...) is the
 * connection's. Everything runs under the connection's lock except {@link #complete}, which calls the writers back
 * outside it, as a callback may write again ({@code Http1ServerEdgeTest}).
 */
final class Http1Output {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = {'0', '\r', '\n', '\r', '\n'};

    record Write(ByteBuffer[] buffers, Callback done, boolean last) {}

    private final Http1Connection c;
    private final ArrayDeque<Write> writes = new ArrayDeque<>(2);

    Http1Output(Http1Connection connection) {
        this.c = connection;
    }

    /** Whether bytes wait for the socket. Under the lock. */
    boolean pending() {
        return !writes.isEmpty();
    }

    /** Empties the queue, returning what was in it (to fail). Under the lock. */
    List<Write> takeAll() {
        List<Write> all = new ArrayList<>(writes);
        writes.clear();
        return all;
    }

    /** {@link org.eclipse.jetty.server.Response#write}: one write at a time per response, as Jetty's contract says. */
    void write(Http1Response from, boolean last, ByteBuffer body, Callback done) {
        List<Write> completed;
        Throwable refused = null;
        synchronized (c) {
            if (c.closed || from != c.response || c.lastWritten) {
                refused = c.closed ? new ClosedChannelException() : new IllegalStateException("response already ended");
                completed = null;
            } else {
                ByteBuffer head = c.committed ? null : commit(from, last, body);
                c.lastWritten = last;
                completed = queue(frame(head, last, body), done, last);
            }
        }
        if (refused != null) {
            done.failed(refused);
            return;
        }
        complete(completed);
    }

    private ByteBuffer commit(Http1Response from, boolean last, ByteBuffer body) {
        c.committed = true;
        int status = from.getStatus();
        HttpFields.Mutable h = from.getHeaders();
        boolean bodyless = status < 200 || status == 204 || status == 304;
        c.noBody |= bodyless;
        if (h.contains(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString())
                || c.inputShut
                || c.inputFailure != null) {
            c.persistent = false;
        }
        c.chunked = false;
        if (!bodyless && !h.contains(HttpHeader.CONTENT_LENGTH)) {
            if (last) {
                h.put(HttpHeader.CONTENT_LENGTH, Long.toString(body == null ? 0 : body.remaining()));
            } else if (c.version == HttpVersion.HTTP_1_1) {
                c.chunked = true;
                h.put(HttpHeader.TRANSFER_ENCODING, HttpHeaderValue.CHUNKED.asString());
            } else {
                c.persistent = false; // HTTP/1.0: the body ends with the connection
            }
        }
        if (!c.persistent && !h.contains(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString())) {
            h.put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        } else if (c.persistent && c.version == HttpVersion.HTTP_1_0) {
            h.put(HttpHeader.CONNECTION, HttpHeaderValue.KEEP_ALIVE.asString());
        }
        return ResponseHead.encode(c.version == HttpVersion.HTTP_1_0 ? "HTTP/1.0 " : "HTTP/1.1 ", status, h);
    }

    private ByteBuffer[] frame(ByteBuffer head, boolean last, ByteBuffer body) {
        boolean hasBody = !c.noBody && body != null && body.hasRemaining();
        if (!c.chunked || c.noBody) {
            if (head == null) {
                return hasBody ? new ByteBuffer[] {body} : new ByteBuffer[0];
            }
            return hasBody ? new ByteBuffer[] {head, body} : new ByteBuffer[] {head};
        }
        List<ByteBuffer> parts = new ArrayList<>(5);
        if (head != null) {
            parts.add(head);
        }
        if (hasBody) {
            parts.add(ByteBuffer.wrap((Integer.toHexString(body.remaining()) + "\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
            parts.add(body);
            parts.add(ByteBuffer.wrap(CRLF));
        }
        if (last) {
            parts.add(ByteBuffer.wrap(LAST_CHUNK));
        }
        return parts.toArray(new ByteBuffer[0]);
    }

    /** Queues a write and writes what the socket takes now; returns the writes that completed. Under the lock. */
    List<Write> queue(ByteBuffer[] buffers, Callback done, boolean last) {
        writes.add(new Write(buffers, done, last));
        return writes.size() == 1 ? flushLocked() : null;
    }

    void flush() {
        List<Write> completed;
        synchronized (c) {
            completed = flushLocked();
        }
        complete(completed);
    }

    private List<Write> flushLocked() {
        List<Write> completed = null;
        try {
            Write w;
            while ((w = writes.peek()) != null && !c.closed) {
                if (Transport.remaining(w.buffers) > 0) {
                    c.channel.write(w.buffers);
                    c.lastActivity = System.nanoTime();
                }
                if (Transport.remaining(w.buffers) > 0) {
                    break;
                }
                writes.poll();
                if (completed == null) {
                    completed = new ArrayList<>(2);
                }
                completed.add(w);
            }
        } catch (IOException e) {
            // the completed ones reach their callbacks; the rest fail with the connection
            List<Write> done = completed;
            c.loop.later(() -> c.fail(e));
            c.updateInterest();
            return done;
        }
        c.updateInterest();
        return completed;
    }

    /** Tells the writers their bytes are out; outside the lock, as a callback may write again. */
    void complete(List<Write> completed) {
        if (completed == null) {
            return;
        }
        for (Write w : completed) {
            if (w.last) {
                boolean end;
                synchronized (c) {
                    c.responseDone = true;
                    end = c.handlerDone;
                }
                try {
                    w.done.succeeded();
                } finally {
                    if (end) {
                        c.exchangeEnded();
                    }
                }
            } else {
                w.done.succeeded();
            }
        }
    }
}
