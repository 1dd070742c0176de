package org.anthropicproxy.server;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * Owns a request's body on the blocking path: reading it under the size limit, draining or discarding what a route
 * leaves unread, the lingering close after an answer that leaves part of it unread, and the keep-alive decision that
 * follows from all that. State lives in request attributes, so the I/O-thread read in {@link ProxyHandler} shares it.
 */
final class RequestBody {

    private static final String BODY_READ = RequestBody.class.getName() + ".bodyRead";
    /**
     * Set when the body was read only in part (over the limit and beyond what is worth draining before the answer):
     * the stream of the rest, dropped for a while after the answer ({@link #LINGER_NANOS}), or TRUE when the body
     * cannot be read on.
     */
    private static final String BODY_LEFT = RequestBody.class.getName() + ".bodyLeft";

    private static final long DISCARD_LIMIT = 1024 * 1024;
    /**
     * How long the rest of a body is read and dropped after an answer that closes the connection, as nginx's
     * lingering close does: a client that sends its whole body before reading (most do) then reads the answer, where
     * a close with its bytes unread would send it a reset. Bounded, so a client sending on and on cannot hold a thread.
     */
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(10);

    private RequestBody() {}

    /** The body is being read (or was) by its route. */
    static void markRead(Request request) {
        request.setAttribute(BODY_READ, Boolean.TRUE);
    }

    /** The body cannot be read on: the connection closes after the answer. */
    static void markUnreadable(Request request) {
        request.setAttribute(BODY_LEFT, Boolean.TRUE);
    }

    /**
     * After the route answered: a body it did not read is discarded, and the rest of a body left unread is dropped
     * for a while (the answer is out: a route that leaves a body unread answers at once).
     */
    static void afterRoute(Request request) {
        if (request.getAttribute(BODY_READ) == null) {
            discardBody(request);
        }
        if (request.getAttribute(BODY_LEFT) instanceof InputStream rest) {
            drop(rest, Long.MAX_VALUE, LINGER_NANOS);
        }
    }

    /**
     * Whether the connection stays open after the answer about to be sent. The server closes it when the request's body was
     * not read to its end; the answer must then say {@code connection: close}, or a client that pooled the connection
     * sends its next request into a closed socket ("header parser received no bytes"). A body the route did not read
     * (a 401, a 404, telemetry) is dropped after the answer when it is small enough, before it otherwise: a client still
     * sending would get a reset (its bytes unread at the close) instead of the answer.
     */
    static boolean keepAliveAfterAnswer(Request request) {
        if (request.getAttribute(BODY_READ) == null) {
            if (expectsContinue(request)) {
                // the client waits for a 100 before sending its body: none comes, the connection closes after the
                // answer
                request.setAttribute(BODY_READ, Boolean.TRUE);
                request.setAttribute(BODY_LEFT, Boolean.TRUE);
                return false;
            }
            long length = request.getLength();
            if (length >= 0 && length <= DISCARD_LIMIT) {
                return true;
            }
            discardBody(request);
        }
        return request.getAttribute(BODY_LEFT) == null;
    }

    private static void discardBody(Request request) {
        request.setAttribute(BODY_READ, Boolean.TRUE);
        if (request.getLength() != 0) {
            InputStream in = Content.Source.asInputStream(request);
            bodyLeftIf(request, !drop(in, DISCARD_LIMIT, Long.MAX_VALUE), in);
        }
    }

    /** The body, or null after answering 413 (over the limit) or 400 (unreadable). */
    static byte[] read(Request request, JettyClientSink sink, long max) throws IOException {
        request.setAttribute(BODY_READ, Boolean.TRUE);
        long declared = request.getLength();
        // never closed: closing before the end of the content fails the request, and the answer with it
        InputStream in = Content.Source.asInputStream(request);
        if (declared > max) {
            if (expectsContinue(request)) {
                request.setAttribute(BODY_LEFT, Boolean.TRUE); // refused before it is sent: no 100, no upload
            } else {
                bodyLeftIf(request, !drop(in, Math.min(declared, 2 * max), Long.MAX_VALUE), in);
            }
            Answers.error(
                    sink,
                    413,
                    "request_too_large",
                    "Request body is " + declared + " bytes; the limit is " + max + " bytes");
            return null;
        }
        byte[] body;
        try {
            if (declared >= 0) {
                // collected as it arrives, never allocated from the declared length alone (HeapBeforeAuthIT)
                body = in.readNBytes((int) declared);
                if (body.length < declared) {
                    throw new EOFException();
                }
                // and the end of the content: a request whose end was not read makes the server close the connection
                // after the answer, which a client reusing it sees as a connection closed without an answer
                in.read();
            } else {
                body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            }
        } catch (IOException e) {
            // early EOF, broken chunked encoding: the client's fault, not an internal error
            request.setAttribute(BODY_LEFT, Boolean.TRUE);
            Answers.error(
                    sink,
                    400,
                    "invalid_request_error",
                    "request body could not be read: " + e.getClass().getSimpleName());
            return null;
        }
        if (body.length > max) {
            bodyLeftIf(request, !drop(in, max, Long.MAX_VALUE), in);
            Answers.error(sink, 413, "request_too_large", "Request body exceeds the limit of " + max + " bytes");
            return null;
        }
        return body;
    }

    private static boolean expectsContinue(Request request) {
        String expect = request.getHeaders().get("expect");
        return expect != null && expect.equalsIgnoreCase("100-continue");
    }

    private static void bodyLeftIf(Request request, boolean left, InputStream rest) {
        if (left) {
            request.setAttribute(BODY_LEFT, rest);
        }
    }

    /**
     * Reads and drops body bytes, up to {@code limit} of them and for up to {@code nanos}. Before an answer that does
     * not need the body: a client still sending would otherwise get a reset (the connection closed with its bytes
     * unread) instead of the answer. After an answer on a connection that will close: see {@link #LINGER_NANOS}. True
     * when the end of the body was reached; false beyond either bound, or when the client stopped sending or sent a
     * broken body (the answer goes out regardless, on a connection that cannot be reused; a client that stops
     * sending is let go by the connection's idle timeout, which fails the read).
     */
    private static boolean drop(InputStream in, long limit, long nanos) {
        byte[] buf = new byte[64 * 1024];
        long left = limit;
        long start = System.nanoTime();
        try {
            int n;
            // one byte more than is left, to see the limit passed
            while ((n = in.read(buf, 0, (int) Math.min(buf.length - 1, left) + 1)) >= 0) {
                left -= n;
                if (left < 0 || System.nanoTime() - start > nanos) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
