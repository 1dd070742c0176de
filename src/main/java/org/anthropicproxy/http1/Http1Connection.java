package org.anthropicproxy.http1;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.List;
import org.anthropicproxy.json.ErrorBody;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpException;
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
 *
 * <p>This class parses heads and dispatches; the body is read by {@link Http1RequestBody}, the answer framed and
 * queued by {@link Http1Output}, the connection kept alive or timed out by {@link Http1KeepAlive}. All four share
 * this object's lock and the exchange state below.
 */
final class Http1Connection extends Endpoint implements IoLoop.Ready, HttpParser.RequestHandler {

    private static final Logger LOG = LoggerFactory.getLogger(Http1Connection.class);
    private static final int BUFFER_BYTES = 8 * 1024;
    private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();

    private final Http1Server server;
    private final Request.Handler handler;
    final HttpParser parser;
    private final long id = IDS.incrementAndGet();
    final Http1Output out = new Http1Output(this);
    final Http1RequestBody requestBody = new Http1RequestBody(this);
    private final Http1KeepAlive keepAlive = new Http1KeepAlive(this);
    private long requests;

    // what the parser reported; this and all below under the connection's lock, also where read by Http1Output,
    // Http1RequestBody and Http1KeepAlive
    private String method;
    private String uri;
    HttpVersion version;
    Throwable inputFailure;
    HttpException badMessage;

    // the exchange in progress
    Http1Request request;
    Http1Response response;
    Runnable demand;
    boolean expectContinue;
    boolean persistent;
    boolean committed;
    boolean chunked;
    boolean noBody;
    boolean lastWritten;
    boolean responseDone;
    boolean handlerDone;
    /** Interim answers sent to find out whether a client that ended its input is still there. */
    int probes;

    long probedAt;

    // the connection
    boolean closing;
    long closingSince;
    /** When the head of the next request began to arrive (the accept, for the first); 0 while none has. */
    long headStart = System.nanoTime();
    /** When the last exchange ended: the keep-alive wait runs from here. */
    long idleSince;

    Http1Connection(
            Http1Server server, IoLoop loop, SocketChannel channel, Request.Handler handler, int maxHeaderBytes) {
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
            out.flush();
        }
        if ((readyOps & SelectionKey.OP_READ) != 0) {
            readable();
        }
    }

    // ------------------------------------------------------------------------------------------------ reading

    private void readable() {
        List<Http1Output.Write> completed = null;
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
                    completed = requestBody.probeDeparture();
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
        out.complete(completed);
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
        expectContinue = version == HttpVersion.HTTP_1_1
                && headers.contains(HttpHeader.EXPECT, HttpHeaderValue.CONTINUE.asString());
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
        return requestBody.read();
    }

    /** {@link Request#demand}: runs {@code callback} once {@link #read} may return something. */
    void demand(Runnable callback) {
        requestBody.demand(callback);
    }

    /** Reads and drops the rest of the body when all of it is already here; true when the body is then complete. */
    boolean consumeAvailable() {
        return requestBody.consumeAvailable();
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
        out.write(from, last, body, done);
    }

    synchronized boolean committed() {
        return committed;
    }

    synchronized boolean lastWritten() {
        return lastWritten;
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
    void exchangeEnded() {
        if (loop.inLoop()) {
            loop.later(this::exchangeDone);
            return;
        }
        boolean next;
        synchronized (this) {
            next = keepAlive.reset(false);
        }
        if (next) {
            loop.later(this::exchangeDone);
        }
    }

    /** On the loop thread: the exchange ends (if {@link #exchangeEnded} did not end it already), the next begins. */
    private void exchangeDone() {
        synchronized (this) {
            keepAlive.reset(true);
        }
        nextRequest();
    }

    private void answerBadMessage(HttpException bad) {
        int code = bad.getCode() <= 0 ? 400 : bad.getCode();
        String reason =
                bad.getReason() == null || bad.getReason().isBlank() ? HttpStatus.getMessage(code) : bad.getReason();
        HttpFields.Mutable h = HttpFields.build()
                .put(HttpHeader.CONTENT_TYPE, "application/json")
                .put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        byte[] body = ErrorBody.bytes(code, "HTTP " + code + ": " + reason);
        h.put(HttpHeader.CONTENT_LENGTH, Integer.toString(body.length));
        List<Http1Output.Write> completed;
        synchronized (this) {
            persistent = false;
            committed = true;
            lastWritten = true;
            ByteBuffer head = ResponseHead.encode("HTTP/1.1 ", code, h);
            completed = out.queue(
                    new ByteBuffer[] {head, ByteBuffer.wrap(body)},
                    Callback.from(() -> loop.execute(this::closeGracefullyLocked)),
                    false);
        }
        out.complete(completed);
    }

    private synchronized void closeGracefullyLocked() {
        closeGracefully();
    }

    /** Output shut after the last answer; the client's remaining bytes are read and dropped until it closes too. */
    void closeGracefully() {
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

    void closeNow() {
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
    void fail(Throwable cause) {
        List<Http1Output.Write> failed;
        Http1Request r;
        Runnable demanded;
        synchronized (this) {
            if (closed) {
                return;
            }
            closeNow();
            failed = out.takeAll();
            r = request;
            demanded = demand;
            demand = null;
            if (inputFailure == null) {
                inputFailure = cause;
            }
        }
        for (Http1Output.Write w : failed) {
            w.done().failed(cause);
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

    /** From the loop's sweep: see {@link Http1KeepAlive#checkIdle}. */
    void checkIdle(long now, ConnectionLimits limits) {
        keepAlive.checkIdle(now, limits);
    }

    // ------------------------------------------------------------------------------------------------ interest

    /** Reads whenever there is room (and input); writes while bytes wait. Applied on the loop thread. Under the lock. */
    void updateInterest() {
        interest.set(!closed && !inputShut && (closing || in.room()), !closed && out.pending());
    }
}
