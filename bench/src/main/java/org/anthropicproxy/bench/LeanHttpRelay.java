package org.anthropicproxy.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.anthropicproxy.json.BodySplice;
import org.anthropicproxy.json.InvalidRequestException;
import org.anthropicproxy.json.MessagesRequestScan;

/**
 * What an HTTP layer as lean as nginx's would cost in a JVM doing the proxy's passthrough work: one selector thread,
 * each client connection paired with a kept-alive upstream connection; a request's head is parsed for its
 * Content-Length, its body read whole, scanned and its model spliced (the proxy's own {@link MessagesRequestScan} and
 * {@link BodySplice}), and head and body written upstream in one gathering write; the answer is copied back as it
 * comes (one upstream connection per client needs no framing of it). A bench reference, not a server: no chunked
 * requests, no header limits, no routing, logging or usage capture; it shows the cost of the proxy's work without
 * Jetty's layers around it.
 *
 * <p>Arguments: the port to listen on, the upstream's base URL ({@code http://127.0.0.1:PORT}).
 */
public final class LeanHttpRelay {

    private static final byte[] UPSTREAM_MODEL = BodySplice.jsonString("claude-bench-upstream");
    private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(StandardCharsets.US_ASCII);

    private LeanHttpRelay() {}

    public static void main(String[] args) throws IOException {
        RelayLoop.run(args, (client, origin, selector) -> {
            Pair p = new Pair(client, origin);
            p.clientKey = client.register(selector, SelectionKey.OP_READ, p);
            p.originKey = origin.register(selector, SelectionKey.OP_READ, p);
        });
    }

    private static final class Pair implements RelayLoop.Handler {
        final SocketChannel client;
        final SocketChannel origin;
        SelectionKey clientKey;
        SelectionKey originKey;
        /** Request bytes read from the client and not yet forwarded (write mode). */
        ByteBuffer requestIn = ByteBuffer.allocate(64 * 1024);
        /** A rewritten request still to be written upstream. */
        ByteBuffer[] requestOut = new ByteBuffer[0];
        /** Answer bytes read from upstream still to be written to the client. */
        final ByteBuffer answer = ByteBuffer.allocateDirect(64 * 1024).flip();

        Pair(SocketChannel client, SocketChannel origin) {
            this.client = client;
            this.origin = origin;
        }

        @Override
        public void ready(SelectionKey key) throws IOException, InvalidRequestException {
            if (key == clientKey) {
                clientReady();
            } else {
                originReady();
            }
        }

        private void clientReady() throws IOException, InvalidRequestException {
            if (clientKey.isReadable()) {
                if (!requestIn.hasRemaining()) {
                    requestIn = ByteBuffer.allocate(requestIn.capacity() * 2).put(requestIn.flip());
                }
                if (client.read(requestIn) < 0) {
                    close();
                    return;
                }
                forwardRequest();
            }
            if (clientKey.isValid() && clientKey.isWritable()) {
                client.write(answer);
            }
            interest();
        }

        private void originReady() throws IOException {
            if (originKey.isReadable()) {
                answer.clear();
                if (origin.read(answer) < 0) {
                    close();
                    return;
                }
                answer.flip();
                client.write(answer);
            }
            if (originKey.isValid() && originKey.isWritable()) {
                origin.write(requestOut);
            }
            interest();
        }

        /** Forwards the first complete request buffered, if there is one and nothing is still being written. */
        private void forwardRequest() throws IOException, InvalidRequestException {
            if (pending(requestOut)) {
                return;
            }
            byte[] buf = requestIn.array();
            int filled = requestIn.position();
            int headEnd = headEnd(buf, filled);
            if (headEnd < 0) {
                return;
            }
            int[] cl = contentLength(buf, headEnd);
            int length = Integer.parseInt(new String(buf, cl[0], cl[1] - cl[0], StandardCharsets.US_ASCII).strip());
            if (filled < headEnd + length) {
                return;
            }
            byte[] body = Arrays.copyOfRange(buf, headEnd, headEnd + length);
            byte[] rewritten = BodySplice.replace(
                    body, MessagesRequestScan.scan(body, true).modelSpan(), UPSTREAM_MODEL);
            byte[] digits = (" " + rewritten.length).getBytes(StandardCharsets.US_ASCII);
            byte[] head = new byte[headEnd - (cl[1] - cl[0]) + digits.length];
            System.arraycopy(buf, 0, head, 0, cl[0]);
            System.arraycopy(digits, 0, head, cl[0], digits.length);
            System.arraycopy(buf, cl[1], head, cl[0] + digits.length, headEnd - cl[1]);
            requestIn.flip().position(headEnd + length);
            requestIn.compact();
            requestOut = new ByteBuffer[] {ByteBuffer.wrap(head), ByteBuffer.wrap(rewritten)};
            origin.write(requestOut);
        }

        /** A side reads only while what it read last is written out; it waits to write while it has some left. */
        private void interest() {
            boolean toOrigin = pending(requestOut);
            set(clientKey, (answer.hasRemaining() ? SelectionKey.OP_WRITE : 0) | (toOrigin ? 0 : SelectionKey.OP_READ));
            set(originKey, (toOrigin ? SelectionKey.OP_WRITE : 0) | (answer.hasRemaining() ? 0 : SelectionKey.OP_READ));
        }

        private static void set(SelectionKey key, int ops) {
            if (key.isValid() && key.interestOps() != ops) {
                key.interestOps(ops);
            }
        }

        private static boolean pending(ByteBuffer[] buffers) {
            for (ByteBuffer b : buffers) {
                if (b.hasRemaining()) {
                    return true;
                }
            }
            return false;
        }

        /** The index just past the blank line ending the head, or -1. */
        private static int headEnd(byte[] b, int filled) {
            for (int i = 3; i < filled; i++) {
                if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                    return i + 1;
                }
            }
            return -1;
        }

        /** The span of the Content-Length header's value (after the colon, up to its CR). */
        private static int[] contentLength(byte[] b, int headEnd) {
            for (int line = 0; line < headEnd; ) {
                int eol = line;
                while (b[eol] != '\r') {
                    eol++;
                }
                if (eol - line > CONTENT_LENGTH.length && startsWithIgnoreCase(b, line, CONTENT_LENGTH)) {
                    return new int[] {line + CONTENT_LENGTH.length, eol};
                }
                line = eol + 2;
            }
            throw new IllegalStateException("no content-length: chunked requests are not relayed");
        }

        private static boolean startsWithIgnoreCase(byte[] b, int at, byte[] lower) {
            for (int i = 0; i < lower.length; i++) {
                if ((b[at + i] | 0x20) != lower[i]) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void close() {
            RelayLoop.closeAll(client, origin);
        }
    }
}
