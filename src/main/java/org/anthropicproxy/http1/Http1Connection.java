package org.anthropicproxy.http1;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.anthropicproxy.json.ErrorBody;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: requests parsed one at a time (Jetty's {@link HttpParser}), each handed to the handler on
 * the loop thread, its body read on demand, its answer written by whichever thread produces it, straight to the
 * socket (the loop takes over only what the socket did not accept at once).
 *
 * <p>The socket is read whenever it is readable and the buffer has room, also while a request is being answered:
 * that is how a client that leaves (a reset) is noticed at once, and how pipelined requests wait their turn.
 * End of input after a whole request is not a departure (a client may shut its output and wait for the answer);
 * the connection closes after that answer.
 */
final class Http1Connection extends Endpoint implements IoLoop.Ready, HttpParser.RequestHandler {

    private static final Logger LOG = LoggerFactory.getLogger(Http1Connection.class);
    private static final int BUFFER_BYTES = 8 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = {'0', '\r', '\n', '\r', '\n'};
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    /**
     * A body read after the final answer to a request that expects {@code 100 Continue}: the client still waits for
     * the 100, which would now come after the answer, so the body is taken as absent and the connection closes
     * after the answer (RFC 9110 §10.1.1; {@code hostile.HttpDetailsIT}).
     */
    private static final String NO_BODY_AFTER_ANSWER = "no body: the answer went out before a 100 Continue";
    /** The least time between the two departure probes: room for the reset the first draws to come back. */
    private static final long PROBE_SPACING_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** How long a connection closed by us waits for the client's end of input before it is cut. */
    private static final long CLOSING_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();

    private record Write(ByteBuffer[] buffers, Callback done, boolean last) {
    }

    private final Http1Server server;
    private final Request.Handler handler;
    private final HttpParser parser;
    private final long id = IDS.incrementAndGet();
    private final ArrayDeque<Write> writes = new ArrayDeque<>(2);
    private long requests;

    // what the parser reported (all under the connection's lock)
    private String method;
    private String uri;
    private HttpVersion version;
    private Throwable inputFailure;
    private HttpException badMessage;

    // the exchange in progress
    private Http1Request request;
    private Http1Response response;
    private Runnable demand;
    private boolean expectContinue;
    private boolean persistent;
    private boolean committed;
    private boolean chunked;
    private boolean noBody;
    private boolean lastWritten;
    private boolean responseDone;
    private boolean handlerDone;
    /** Interim answers sent to find out whether a client that ended its input is still there. */
    private int probes;
    private long probedAt;

    // the connection
    private boolean closing;
    private long closingSince;
    /** When the head of the next request began to arrive (the accept, for the first); 0 while none has. */
    private long headStart = System.nanoTime();
    /** When the last exchange ended: the keep-alive wait runs from here. */
    private long idleSince;

    Http1Connection(Http1Server server, IoLoop loop, SocketChannel channel, Request.Handler handler, int maxHeaderBytes) {
        super(loop, channel, Transport.plain(channel), BUFFER_BYTES);
        this.server = server;
        this.handler = handler;
        this.parser = new HttpParser(this, maxHeaderBytes, HttpCompliance.RFC9110);
        parser.setHeaderCacheSize(0);
    }

    /** On the loop thread. */
    void register() throws IOException {
        interest.register(channel, this);
    }

    @Override
    public void ready(int readyOps) {
        if ((readyOps & SelectionKey.OP_WRITE) != 0) {
            flush();
        }
        if ((readyOps & SelectionKey.OP_READ) != 0) {
            readable();
        }
    }

    // ------------------------------------------------------------------------------------------------ reading

    private void readable() {
        List<Write> completed = null;
        Runnable demanded = null;
        boolean parse = false;
        IOException broken = null;
        synchronized (this) {
            if (closed) {
                return;
            }
            int n;
            try {
                n = fill();
            } catch (IOException e) {
                n = 0;
                broken = e;
            }
            if (broken != null) {
                // a reset: the client is gone
            } else if (closing) {
                in.discard();
                if (n < 0) {
                    closeNow();
                }
                return;
            } else {
                if (n < 0) {
                    completed = probeDeparture();
                }
                updateInterest();
                if (request == null) {
                    if (headStart == 0 && n > 0) {
                        headStart = System.nanoTime();
                    }
                    parse = true;
                } else if (demand != null && (n != 0 || inputShut)) {
                    demanded = demand;
                    demand = null;
                }
            }
        }
        if (broken != null) {
            fail(broken);
            return;
        }
        complete(completed);
        if (parse) {
            nextRequest();
        }
        if (demanded != null) {
            demanded.run();
        }
    }

    /** Parses the next request's head from what is buffered and hands the request to the handler. */
    private void nextRequest() {
        HttpException bad;
        Http1Request started = null;
        synchronized (this) {
            if (closed || closing || request != null) {
                return;
            }
            if (!in.hasRemaining() && !inputShut) {
                return;
            }
            while (!headerDone && badMessage == null && in.hasRemaining()) {
                int before = in.remaining();
                if (!parser.parseNext(in.bytes()) && in.remaining() == before) {
                    break;
                }
            }
            if (inputShut && !headerDone && badMessage == null) {
                if (parser.isStart() && !in.hasRemaining()) {
                    closeNow(); // the client ended between requests
                    return;
                }
                if (!parser.isAtEOF()) {
                    parser.atEOF();
                }
                parser.parseNext(in.bytes());
                if (!headerDone && badMessage == null) {
                    closeNow();
                    return;
                }
            }
            updateInterest(); // parsing made room
            bad = badMessage;
            if (bad == null && headerDone) {
                bad = RequestChecks.refusal(uri, fields);
            }
            if (bad == null && headerDone) {
                started = begin();
            } else if (bad == null && parser.isClosed()) {
                closeNow();
                return;
            }
        }
        if (bad != null) {
            answerBadMessage(bad);
        } else if (started != null) {
            dispatch(started);
        }
    }

    private Http1Request begin() {
        requests++;
        lastActivity = System.nanoTime();
        HttpFields headers = fields.asImmutable();
        persistent = version == HttpVersion.HTTP_1_1
                ? !headers.contains(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString())
                : headers.contains(HttpHeader.CONNECTION, HttpHeaderValue.KEEP_ALIVE.asString());
        expectContinue = version == HttpVersion.HTTP_1_1 && headers.contains(HttpHeader.EXPECT, HttpHeaderValue.CONTINUE.asString());
        long length = parser.isChunking() ? -1 : Math.max(0, parser.getContentLength());
        if (length == 0 && !messageDone) {
            // no body: take the parser's end of message now (not the next request's bytes), so this one is complete
            parser.parseNext(in.bytes());
        }
        request = new Http1Request(this, id + "/" + requests, method, uri, headers, length, parser.getBeginNanoTime());
        response = new Http1Response(request, this);
        noBody = method.equals("HEAD");
        return request;
    }

    private void dispatch(Http1Request r) {
        Callback done = Callback.from(() -> handlerDone(null), this::handlerDone);
        try {
            if (!handler.handle(r, response, done)) {
                response.setStatus(404);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                response.write(true, ByteBuffer.wrap(ErrorBody.bytes(404, "Not found")), done);
            }
        } catch (Throwable t) {
            done.failed(t);
        }
    }

    /** {@link Request#read}: the next part of the body, null when none has arrived yet. */
    Content.Chunk read() {
        List<Write> completed = null;
        synchronized (this) {
            while (true) {
                if (inputFailure != null) {
                    return Content.Chunk.from(inputFailure, true);
                }
                if (messageDone) {
                    return Content.Chunk.EOF;
                }
                content = null;
                int before = in.remaining();
                // also with nothing buffered: a body whose last byte was parsed ends at the next parse
                parser.parseNext(in.bytes());
                if (badMessage != null) {
                    inputFailure = (Throwable) badMessage;
                    continue;
                }
                if (content != null) {
                    ByteBuffer slice = content;
                    content = null;
                    return in.chunk(slice);
                }
                if (messageDone || inputFailure != null || in.remaining() < before) {
                    continue;
                }
                if (inputShut) {
                    if (!parser.isAtEOF()) {
                        parser.atEOF();
                    } else {
                        // the parser at EOF without a verdict: the body cannot go on
                        inputFailure = new BadBody("request body cut short");
                    }
                    continue;
                }
                if (expectContinue) {
                    expectContinue = false;
                    if (committed) {
                        inputFailure = new BadBody(NO_BODY_AFTER_ANSWER);
                        continue;
                    }
                    completed = queue(new ByteBuffer[] {ByteBuffer.wrap(CONTINUE)}, Callback.NOOP, false);
                    break;
                }
                int n;
                try {
                    n = fill();
                } catch (IOException e) {
                    inputFailure = e;
                    continue;
                }
                if (n == 0) {
                    updateInterest();
                    break;
                }
            }
        }
        complete(completed);
        return null;
    }

    /** {@link Request#demand}: runs {@code callback} once {@link #read} may return something. */
    void demand(Runnable callback) {
        List<Write> completed = null;
        boolean now;
        synchronized (this) {
            if (expectContinue && committed && !in.hasRemaining()) {
                expectContinue = false;
                inputFailure = new BadBody(NO_BODY_AFTER_ANSWER);
            }
            now = inputFailure != null || messageDone || in.hasRemaining() || inputShut;
            if (!now) {
                if (expectContinue) {
                    expectContinue = false;
                    completed = queue(new ByteBuffer[] {ByteBuffer.wrap(CONTINUE)}, Callback.NOOP, false);
                }
                demand = callback;
                updateInterest();
            }
        }
        complete(completed);
        if (now) {
            loop.later(callback);
        }
    }

    /** Reads and drops the rest of the body when all of it is already here; true when the body is then complete. */
    synchronized boolean consumeAvailable() {
        while (!messageDone && badMessage == null && inputFailure == null) {
            content = null;
            int before = in.remaining();
            parser.parseNext(in.bytes());
            if (content == null && in.remaining() == before && !messageDone) {
                break;
            }
        }
        content = null;
        return messageDone;
    }

    /**
     * The client ended its input while its request waits for an answer: it left (closed its socket, as Node and
     * Python clients do when a request is cancelled) or only half-closed and waits. An interim {@code 100 Continue},
     * which HTTP/1.1 clients skip (RFC 9110 §15.2), tells the two apart: a socket the client closed answers it with a
     * reset, and the second one, sent by a sweep at least {@link #PROBE_SPACING_NANOS} later, then fails the
     * connection, so the request learns its client is gone and cancels its upstream ({@code hostile.ClientDepartureIT}).
     * Under the lock; returns the writes completed.
     */
    private List<Write> probeDeparture() {
        if (request == null || committed || closed || version != HttpVersion.HTTP_1_1 || probes >= 2) {
            return null;
        }
        probes++;
        probedAt = System.nanoTime();
        expectContinue = false;
        return queue(new ByteBuffer[] {ByteBuffer.wrap(CONTINUE)}, Callback.NOOP, false);
    }

    // ------------------------------------------------------------------------------------------------ parser events

    @Override
    public void startRequest(String method, String uri, HttpVersion version) {
        this.method = method;
        this.uri = uri;
        this.version = version;
    }

    @Override
    public void earlyEOF() {
        // also what the parser reports for broken chunk framing once the head is through
        inputFailure = new BadBody("request body cut short or malformed");
    }

    @Override
    public void badMessage(HttpException failure) {
        badMessage = failure;
    }

    // ------------------------------------------------------------------------------------------------ writing

    /** {@link org.eclipse.jetty.server.Response#write}: one write at a time per response, as Jetty's contract says. */
    void write(Http1Response from, boolean last, ByteBuffer body, Callback done) {
        List<Write> completed;
        Throwable refused = null;
        synchronized (this) {
            if (closed || from != response || lastWritten) {
                refused = closed ? new ClosedChannelException() : new IllegalStateException("response already ended");
                completed = null;
            } else {
                ByteBuffer head = committed ? null : commit(from, last, body);
                lastWritten = last;
                completed = queue(frame(head, last, body), done, last);
            }
        }
        if (refused != null) {
            done.failed(refused);
            return;
        }
        complete(completed);
    }

    synchronized boolean committed() {
        return committed;
    }

    synchronized boolean lastWritten() {
        return lastWritten;
    }

    private ByteBuffer commit(Http1Response from, boolean last, ByteBuffer body) {
        committed = true;
        int status = from.getStatus();
        HttpFields.Mutable h = from.getHeaders();
        boolean bodyless = status < 200 || status == 204 || status == 304;
        noBody |= bodyless;
        if (h.contains(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString()) || inputShut || inputFailure != null) {
            persistent = false;
        }
        chunked = false;
        if (!bodyless && !h.contains(HttpHeader.CONTENT_LENGTH)) {
            if (last) {
                h.put(HttpHeader.CONTENT_LENGTH, Long.toString(body == null ? 0 : body.remaining()));
            } else if (version == HttpVersion.HTTP_1_1) {
                chunked = true;
                h.put(HttpHeader.TRANSFER_ENCODING, HttpHeaderValue.CHUNKED.asString());
            } else {
                persistent = false; // HTTP/1.0: the body ends with the connection
            }
        }
        if (!persistent && !h.contains(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString())) {
            h.put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        } else if (persistent && version == HttpVersion.HTTP_1_0) {
            h.put(HttpHeader.CONNECTION, HttpHeaderValue.KEEP_ALIVE.asString());
        }
        return ResponseHead.encode(version == HttpVersion.HTTP_1_0 ? "HTTP/1.0 " : "HTTP/1.1 ", status, h);
    }

    private ByteBuffer[] frame(ByteBuffer head, boolean last, ByteBuffer body) {
        boolean hasBody = !noBody && body != null && body.hasRemaining();
        if (!chunked || noBody) {
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
            parts.add(ByteBuffer.wrap((Integer.toHexString(body.remaining()) + "\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
            parts.add(body);
            parts.add(ByteBuffer.wrap(CRLF));
        }
        if (last) {
            parts.add(ByteBuffer.wrap(LAST_CHUNK));
        }
        return parts.toArray(new ByteBuffer[0]);
    }

    /** Queues a write and writes what the socket takes now; returns the writes that completed. Under the lock. */
    private List<Write> queue(ByteBuffer[] buffers, Callback done, boolean last) {
        writes.add(new Write(buffers, done, last));
        return writes.size() == 1 ? flushLocked() : null;
    }

    private void flush() {
        List<Write> completed;
        synchronized (this) {
            completed = flushLocked();
        }
        complete(completed);
    }

    private List<Write> flushLocked() {
        List<Write> completed = null;
        try {
            Write w;
            while ((w = writes.peek()) != null && !closed) {
                if (Transport.remaining(w.buffers) > 0) {
                    channel.write(w.buffers);
                    lastActivity = System.nanoTime();
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
            loop.later(() -> fail(e));
            updateInterest();
            return done;
        }
        updateInterest();
        return completed;
    }

    /** Tells the writers their bytes are out; outside the lock, as a callback may write again. */
    private void complete(List<Write> completed) {
        if (completed == null) {
            return;
        }
        for (Write w : completed) {
            if (w.last) {
                boolean end;
                synchronized (this) {
                    responseDone = true;
                    end = handlerDone;
                }
                try {
                    w.done.succeeded();
                } finally {
                    if (end) {
                        exchangeEnded();
                    }
                }
            } else {
                w.done.succeeded();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ endings

    private void handlerDone(Throwable failure) {
        boolean end;
        synchronized (this) {
            if (handlerDone) {
                return;
            }
            handlerDone = true;
            end = responseDone;
        }
        if (failure != null) {
            if (!committed()) {
                int status = 500;
                String message = "internal proxy error";
                if (failure instanceof HttpException h && h.getCode() >= 400 && h.getCode() < 500) {
                    status = h.getCode();
                    message = h.getReason() == null ? HttpStatus.getMessage(status) : h.getReason();
                } else {
                    LOG.warn("request failed in the handler", failure);
                }
                response.getHeaders().clear();
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                response.setStatus(status);
                response.write(true, ByteBuffer.wrap(ErrorBody.bytes(status, message)), Callback.NOOP);
            } else {
                loop.execute(this::abort);
            }
        } else if (!lastWritten()) {
            // the handler ended without ending its answer: end it (headers included, when none went out yet)
            response.write(true, BufferUtil.EMPTY_BUFFER, Callback.NOOP);
        } else if (end) {
            exchangeEnded();
        }
    }

    /**
     * The answer is out and the handler done. On the loop, the exchange ends at the loop's next turn (never inside
     * the callback of the write that ended the answer, so a pipelined request starts on a clean stack). On another
     * thread (the usual case: the answer was written by the thread that received the upstream's), it ends here: the
     * loop is woken only when a next request is already buffered or the connection closes, not once per request.
     */
    private void exchangeEnded() {
        if (loop.inLoop()) {
            loop.later(this::exchangeDone);
            return;
        }
        boolean next;
        synchronized (this) {
            next = reset(false);
        }
        if (next) {
            loop.later(this::exchangeDone);
        }
    }

    /** On the loop thread: the exchange ends (if {@link #exchangeEnded} did not end it already), the next begins. */
    private void exchangeDone() {
        synchronized (this) {
            reset(true);
        }
        nextRequest();
    }

    /**
     * Readies the connection for its next request, or closes it (only when {@code onLoop}); under the lock. Returns
     * whether the loop has more to do: a request already buffered to parse, or a close.
     */
    private boolean reset(boolean onLoop) {
        if (closed || request == null || !handlerDone || !responseDone) {
            return false;
        }
        boolean keep = persistent && !inputShut;
        if (keep && !messageDone) {
            // a body the handler left unread: dropped if it is all here, else the connection cannot go on
            keep = consumeAvailable();
        }
        if (!keep) {
            if (onLoop) {
                request = null;
                response = null;
                demand = null;
                closeGracefully();
            }
            return true;
        }
        request = null;
        response = null;
        demand = null;
        idleSince = System.nanoTime();
        headStart = in.hasRemaining() ? idleSince : 0;
        in.detachHeld();
        parser.reset();
        clearMessage();
        inputFailure = null;
        badMessage = null;
        expectContinue = false;
        committed = false;
        chunked = false;
        noBody = false;
        lastWritten = false;
        responseDone = false;
        handlerDone = false;
        probes = 0;
        updateInterest();
        return in.hasRemaining() || inputShut;
    }

    private void answerBadMessage(HttpException bad) {
        int code = bad.getCode() <= 0 ? 400 : bad.getCode();
        String reason = bad.getReason() == null || bad.getReason().isBlank() ? HttpStatus.getMessage(code) : bad.getReason();
        HttpFields.Mutable h = HttpFields.build()
                .put(HttpHeader.CONTENT_TYPE, "application/json")
                .put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        byte[] body = ErrorBody.bytes(code, "HTTP " + code + ": " + reason);
        h.put(HttpHeader.CONTENT_LENGTH, Integer.toString(body.length));
        List<Write> completed;
        synchronized (this) {
            persistent = false;
            committed = true;
            lastWritten = true;
            ByteBuffer head = ResponseHead.encode("HTTP/1.1 ", code, h);
            completed = queue(new ByteBuffer[] {head, ByteBuffer.wrap(body)}, Callback.from(() -> loop.execute(this::closeGracefullyLocked)), false);
        }
        complete(completed);
    }

    private synchronized void closeGracefullyLocked() {
        closeGracefully();
    }

    /** Output shut after the last answer; the client's remaining bytes are read and dropped until it closes too. */
    private void closeGracefully() {
        if (closed || closing) {
            return;
        }
        closing = true;
        closingSince = System.nanoTime();
        try {
            channel.shutdownOutput();
        } catch (IOException e) {
            closeNow();
            return;
        }
        if (inputShut) {
            closeNow();
        } else {
            in.discard();
            updateInterest();
        }
    }

    private void closeNow() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // gone either way
        }
        server.closed(this);
    }

    /** The connection broke (reset, write failure, timeout, shutdown): pending writes fail, the request learns why. */
    private void fail(Throwable cause) {
        List<Write> failed;
        Http1Request r;
        Runnable demanded;
        synchronized (this) {
            if (closed) {
                return;
            }
            closeNow();
            failed = new ArrayList<>(writes);
            writes.clear();
            r = request;
            demanded = demand;
            demand = null;
            if (inputFailure == null) {
                inputFailure = cause;
            }
        }
        for (Write w : failed) {
            w.done.failed(cause);
        }
        if (r != null) {
            r.failed(cause);
        }
        if (demanded != null) {
            demanded.run();
        }
    }

    void abort() {
        fail(new EofException("connection aborted"));
    }

    /**
     * From the loop's sweep: a head that takes too long, a keep-alive wait too long, a body that stops arriving, or
     * silence while answering lets the connection go ({@code hostile.DeadlinesIT}).
     */
    void checkIdle(long now, ConnectionLimits limits) {
        boolean expired;
        List<Write> probed = null;
        String why = "idle timeout";
        synchronized (this) {
            if (closed) {
                return;
            }
            if (closing) {
                if (now - closingSince > CLOSING_NANOS) {
                    closeNow();
                }
                return;
            }
            if (request == null && writes.isEmpty()) {
                boolean waitingForHead = headStart != 0;
                if (waitingForHead ? now - headStart > limits.headerTimeout().toNanos()
                        : now - idleSince > limits.keepAliveTimeout().toNanos()) {
                    closeNow();
                }
                return;
            }
            if (inputShut && probes == 1 && writes.isEmpty() && now - probedAt > PROBE_SPACING_NANOS) {
                probed = probeDeparture();
            }
            expired = now - lastActivity > limits.idleTimeout().toNanos();
            if (!expired && request != null && demand != null && !messageDone
                    && now - lastActivity > limits.bodyTimeout().toNanos()) {
                expired = true;
                why = "request body read timeout";
            }
        }
        complete(probed);
        if (expired) {
            fail(new TimeoutException(why));
        }
    }

    // ------------------------------------------------------------------------------------------------ interest

    /** Reads whenever there is room (and input); writes while bytes wait. Applied on the loop thread. Under the lock. */
    private void updateInterest() {
        interest.set(!closed && !inputShut && (closing || in.room()), !closed && !writes.isEmpty());
    }
}
