package org.anthropicproxy.http1;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;

/**
 * One upstream connection of {@link Http1Client}: a request written by the thread that sends it (the loop takes over
 * what the socket did not accept at once), its answer parsed (Jetty's {@link HttpParser}) as the loop reports bytes,
 * its body handed to the reader chunk by chunk. Between exchanges it waits in its destination's pool, watched for
 * the server closing it.
 */
final class Http1ClientConnection extends Endpoint implements IoLoop.Ready, HttpParser.ResponseHandler {

    private static final int BUFFER_BYTES = 16 * 1024;

    private final Http1Client client;
    final String destination;
    private final HttpParser parser;
    private ByteBuffer[] unwritten;

    // the exchange in progress (under the lock)
    private ClientExchange exchange;
    private Runnable demand;
    private int status;
    private HttpVersion version;
    private Throwable failure;

    Http1ClientConnection(
            Http1Client client,
            IoLoop loop,
            SocketChannel channel,
            Transport transport,
            String destination,
            int maxHeaderBytes) {
        super(loop, channel, transport, BUFFER_BYTES);
        this.client = client;
        this.destination = destination;
        this.parser = new HttpParser(this, maxHeaderBytes, HttpCompliance.RFC9110);
        parser.setHeaderCacheSize(0);
    }

    /** On the loop thread. */
    void register() throws IOException {
        interest.register(channel, this);
    }

    /** Takes this pooled connection for a new exchange; false when it closed meanwhile. */
    synchronized boolean activate() {
        return !closed && exchange == null && !inputShut;
    }

    /**
     * Writes the request; on the calling thread as far as the socket takes it. False, with nothing sent, when the
     * connection closed since it was pooled (the server ended it): the caller opens another.
     */
    boolean send(ClientExchange x, ByteBuffer[] request) {
        Throwable broken = null;
        synchronized (this) {
            if (closed) {
                return false;
            }
            exchange = x;
            x.connection = this;
            demand = null;
            status = 0;
            clearMessage();
            failure = null;
            in.detachHeld();
            parser.reset();
            lastActivity = System.nanoTime();
            try {
                transport.write(request);
                if (Transport.remaining(request) > 0 || !transport.flushed()) {
                    unwritten = request;
                }
                updateInterest();
            } catch (IOException e) {
                broken = e;
            }
        }
        if (broken != null) {
            fail(broken);
        } else if (x.aborted != null) {
            abort(x, x.aborted);
        }
        return true;
    }

    @Override
    public void ready(int readyOps) {
        if ((readyOps & SelectionKey.OP_WRITE) != 0) {
            Throwable broken = null;
            synchronized (this) {
                if (unwritten != null && !closed) {
                    try {
                        transport.write(unwritten);
                        lastActivity = System.nanoTime();
                        if (Transport.remaining(unwritten) == 0 && transport.flushed()) {
                            unwritten = null;
                        }
                    } catch (IOException e) {
                        broken = e;
                    }
                    updateInterest();
                }
            }
            if (broken != null) {
                fail(broken);
                return;
            }
        }
        if ((readyOps & SelectionKey.OP_READ) != 0) {
            readable();
        }
    }

    private void readable() {
        ClientExchange headed = null;
        Runnable demanded = null;
        Throwable broken = null;
        boolean idleClosed = false;
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
            if (broken == null) {
                if (exchange == null) {
                    // pooled: the server closed it (or sent bytes nobody asked for); either way it cannot be used
                    if (n != 0) {
                        closeNow();
                        idleClosed = true;
                    }
                } else if (!headerDone) {
                    parseHead();
                    if (headerDone) {
                        headed = exchange;
                    } else if (failure != null) {
                        broken = failure;
                    }
                } else if (demand != null && (n != 0 || inputShut)) {
                    demanded = demand;
                    demand = null;
                }
                if (!idleClosed) {
                    updateInterest();
                }
            }
        }
        if (broken != null) {
            fail(broken);
        } else if (headed != null) {
            headed.head.complete(new ClientExchange.Head(status, fields.asImmutable()));
        } else if (demanded != null) {
            demanded.run();
        }
        if (idleClosed) {
            client.closed(this);
        }
    }

    /** Parses what is buffered up to the end of the response head, skipping interim (1xx) answers. Under the lock. */
    private void parseHead() {
        while (!headerDone && failure == null) {
            int before = in.remaining();
            parser.parseNext(in.bytes());
            if (headerDone && status >= 100 && status < 200) {
                // 100 Continue, 103 Early Hints: not the answer
                parser.reset();
                clearMessage();
                continue;
            }
            if (headerDone || failure != null) {
                return;
            }
            if (in.remaining() == before) {
                if (inputShut && !parser.isAtEOF()) {
                    parser.atEOF();
                    continue;
                }
                if (inputShut) {
                    failure = new EofException("upstream closed the connection without an answer");
                }
                return;
            }
        }
    }

    /** The next part of {@code x}'s body, null when none has arrived yet. */
    @SuppressWarnings("ReferenceEquality") // Content.Chunk.EOF is a singleton: the end chunk this method itself returns
    Content.Chunk read(ClientExchange x) {
        boolean reusable = false;
        Content.Chunk chunk;
        synchronized (this) {
            if (x != exchange) {
                Throwable why = x.aborted != null ? x.aborted : failure;
                return Content.Chunk.from(why != null ? why : new EofException("exchange ended"), true);
            }
            chunk = null;
            while (chunk == null) {
                if (failure != null) {
                    // a cut or malformed answer: the socket is closed here, or it would wait in CLOSE-WAIT for good
                    // (UpstreamFaultsIT)
                    chunk = Content.Chunk.from(failure, true);
                    exchange = null;
                    demand = null;
                    closeNow();
                    break;
                }
                if (messageDone) {
                    chunk = Content.Chunk.EOF;
                    // the answer is whole: the connection serves the next request, unless it says it will close
                    exchange = null;
                    demand = null;
                    reusable = !closed && !inputShut && unwritten == null && !in.hasRemaining() && keepAlive();
                    if (!reusable) {
                        closeNow();
                    }
                    break;
                }
                content = null;
                int before = in.remaining();
                parser.parseNext(in.bytes());
                if (content != null) {
                    ByteBuffer slice = content;
                    content = null;
                    chunk = in.chunk(slice);
                    break;
                }
                if (messageDone || failure != null || in.remaining() < before) {
                    continue;
                }
                if (inputShut) {
                    if (!parser.isAtEOF()) {
                        parser.atEOF();
                    } else {
                        failure = new EofException("upstream closed the connection mid-answer");
                    }
                    continue;
                }
                try {
                    if (fill() == 0) {
                        updateInterest();
                        return null;
                    }
                } catch (IOException e) {
                    failure = e;
                }
            }
        }
        if (reusable) {
            client.release(this);
        } else if (chunk == Content.Chunk.EOF || Content.Chunk.isFailure(chunk)) {
            client.closed(this);
        }
        return chunk;
    }

    void demand(ClientExchange x, Runnable callback) {
        boolean now;
        synchronized (this) {
            now = x != exchange || failure != null || messageDone || in.hasRemaining() || inputShut;
            if (!now) {
                demand = callback;
                updateInterest();
            }
        }
        if (now) {
            loop.later(callback);
        }
    }

    private boolean keepAlive() {
        HttpFields h = fields;
        if (h.contains(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString())) {
            return false;
        }
        return version == HttpVersion.HTTP_1_1
                || h.contains(HttpHeader.CONNECTION, HttpHeaderValue.KEEP_ALIVE.asString());
    }

    // ------------------------------------------------------------------------------------------------ parser events

    @Override
    public void startResponse(HttpVersion version, int status, String reason) {
        this.version = version;
        this.status = status;
    }

    @Override
    public void earlyEOF() {
        failure = new EofException("upstream closed the connection mid-answer");
    }

    @Override
    public void badMessage(HttpException bad) {
        failure = new IOException("upstream sent a malformed answer: " + bad.getReason());
    }

    // ------------------------------------------------------------------------------------------------ endings

    void abort(ClientExchange x, Throwable cause) {
        synchronized (this) {
            if (x != exchange) {
                return;
            }
        }
        fail(cause);
    }

    /** The connection broke, or its exchange was given up: closed, and the exchange learns why. */
    private void fail(Throwable cause) {
        ClientExchange x;
        Runnable demanded;
        synchronized (this) {
            if (failure == null) {
                failure = cause;
            }
            x = exchange;
            demanded = demand;
            demand = null;
            closeNow();
        }
        client.closed(this);
        if (x != null) {
            x.head.completeExceptionally(cause);
        }
        if (demanded != null) {
            demanded.run();
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
    }

    /** From the loop's sweep: an exchange silent too long, or too long in all, is given up. */
    void checkTimeouts(long now) {
        ClientExchange x;
        synchronized (this) {
            x = exchange;
        }
        if (x == null) {
            return;
        }
        if (now - lastActivity > x.idleNanos) {
            fail(new TimeoutException("upstream idle timeout"));
        } else if (now - x.startNanos > x.totalNanos) {
            fail(new TimeoutException("upstream request timeout"));
        }
    }

    synchronized boolean idle() {
        return exchange == null && !closed;
    }

    void close() {
        synchronized (this) {
            closeNow();
        }
    }

    /** Reads whenever there is room; writes while request bytes wait. Applied on the loop thread. Under the lock. */
    private void updateInterest() {
        interest.set(!closed && !inputShut && in.room(), !closed && unwritten != null);
    }
}
