package org.anthropicproxy.http1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.anthropicproxy.testkit.RawHttpExchange;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.FutureCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lean server under conditions a production server meets: slow, vanishing and half-closing clients, idle
 * connections, long keep-alive sessions, unread bodies, many clients at once, failing handlers and malformed requests.
 * Everything goes through real sockets on 127.0.0.1; every wait is bounded.
 */
@Timeout(60)
class Http1ServerEdgeTest {

    private static final Duration LONG_IDLE = Duration.ofSeconds(30);
    private static final Duration SHORT_IDLE = Duration.ofSeconds(1);

    private final List<Http1Server> servers = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        for (Http1Server s : servers) {
            s.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ handlers

    /**
     * The routes most tests use:
     * <ul>
     * <li>{@code /blocking}: the body read through an InputStream on a virtual thread, echoed;</li>
     * <li>{@code /async}: the body read with read()/demand() on the calling thread (the loop), echoed from there;</li>
     * <li>{@code /aggregate}: the body read with Jetty's {@code Content.Source.asByteBuffer} on a virtual thread, echoed;</li>
     * <li>{@code /stream?parts=N&delay=MS}: a streamed (chunked) answer "part0\n"... written one by one;</li>
     * <li>{@code /ignore}: "ignored" at once, on the loop, the body left unread;</li>
     * <li>{@code /throw}: the handler throws; {@code /fail-before}: the callback fails before anything is written;</li>
     * <li>{@code /fail-after-commit}: a streamed part is written, then the callback fails;</li>
     * <li>{@code /no-last}: a streamed part is written, then the callback succeeds without a last write;</li>
     * <li>{@code /nothing}: the callback succeeds at once; {@code /unhandled}: the handler returns false.</li>
     * </ul>
     */
    private static final Request.Handler ROUTES = (request, response, callback) -> {
        String path = request.getHttpURI().getPath();
        switch (path) {
            case "/blocking" ->
                Thread.ofVirtual().start(() -> {
                    try {
                        echo(response, Content.Source.asInputStream(request).readAllBytes(), callback);
                    } catch (Throwable t) {
                        callback.failed(t);
                    }
                });
            case "/async" -> new AsyncEcho(request, response, callback).run();
            case "/hold" ->
                Thread.ofVirtual().start(() -> {
                    // every chunk kept (not released) until the body has ended, as Jetty's contract allows
                    List<Content.Chunk> held = new ArrayList<>();
                    try {
                        while (true) {
                            Content.Chunk chunk = request.read();
                            if (chunk == null) {
                                CountDownLatch more = new CountDownLatch(1);
                                request.demand(more::countDown);
                                more.await();
                                continue;
                            }
                            if (Content.Chunk.isFailure(chunk)) {
                                throw chunk.getFailure();
                            }
                            held.add(chunk);
                            if (chunk.isLast()) {
                                break;
                            }
                        }
                        ByteArrayOutputStream all = new ByteArrayOutputStream();
                        for (Content.Chunk c : held) {
                            ByteBuffer b = c.getByteBuffer().slice();
                            byte[] bytes = new byte[b.remaining()];
                            b.get(bytes);
                            all.writeBytes(bytes);
                        }
                        echo(response, all.toByteArray(), callback);
                    } catch (Throwable t) {
                        callback.failed(t);
                    } finally {
                        held.forEach(Content.Chunk::release);
                    }
                });
            case "/aggregate" ->
                Thread.ofVirtual().start(() -> {
                    try {
                        ByteBuffer all = Content.Source.asByteBuffer(request);
                        byte[] bytes = new byte[all.remaining()];
                        all.get(bytes);
                        echo(response, bytes, callback);
                    } catch (Throwable t) {
                        callback.failed(t);
                    }
                });
            case "/stream" ->
                Thread.ofVirtual().start(() -> {
                    try {
                        int parts = queryInt(request, "parts", 3);
                        int delay = queryInt(request, "delay", 0);
                        response.getHeaders().put("content-type", "text/plain");
                        for (int i = 0; i < parts; i++) {
                            if (delay > 0) {
                                Thread.sleep(delay); // a slow producer: time passing, not synchronisation
                            }
                            writeAndWait(response, false, ("part" + i + "\n").getBytes(StandardCharsets.UTF_8));
                        }
                        response.write(true, ByteBuffer.allocate(0), callback);
                    } catch (Throwable t) {
                        callback.failed(t);
                    }
                });
            case "/ignore" -> {
                response.getHeaders().put("content-type", "text/plain");
                response.write(true, ByteBuffer.wrap("ignored".getBytes(StandardCharsets.UTF_8)), callback);
            }
            case "/throw" -> throw new IllegalStateException("handler bug");
            case "/fail-before" -> Thread.ofVirtual().start(() -> callback.failed(new IOException("upstream broke")));
            case "/fail-after-commit" ->
                Thread.ofVirtual().start(() -> {
                    try {
                        writeAndWait(response, false, "partial".getBytes(StandardCharsets.UTF_8));
                        callback.failed(new IOException("upstream broke mid-stream"));
                    } catch (Throwable t) {
                        callback.failed(t);
                    }
                });
            case "/no-last" ->
                Thread.ofVirtual().start(() -> {
                    try {
                        writeAndWait(response, false, "abc".getBytes(StandardCharsets.UTF_8));
                        callback.succeeded();
                    } catch (Throwable t) {
                        callback.failed(t);
                    }
                });
            case "/nothing" -> callback.succeeded();
            case "/unhandled" -> {
                return false;
            }
            default -> {
                response.setStatus(400);
                response.write(
                        true,
                        ByteBuffer.wrap(("unknown test route " + path).getBytes(StandardCharsets.UTF_8)),
                        callback);
            }
        }
        return true;
    };

    private static void echo(Response response, byte[] body, Callback callback) {
        response.getHeaders().put("content-type", "application/octet-stream");
        response.getHeaders().put("x-received", Integer.toString(body.length));
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    private static void writeAndWait(Response response, boolean last, byte[] bytes) throws Exception {
        FutureCallback written = new FutureCallback();
        response.write(last, ByteBuffer.wrap(bytes), written);
        written.get(20, TimeUnit.SECONDS);
    }

    private static int queryInt(Request request, String name, int otherwise) {
        String q = request.getHttpURI().getQuery();
        if (q == null) {
            return otherwise;
        }
        for (String kv : q.split("&", -1)) {
            String[] p = kv.split("=", 2);
            if (p[0].equals(name) && p.length == 2) {
                return Integer.parseInt(p[1]);
            }
        }
        return otherwise;
    }

    /** The non-blocking way the proxy reads bodies (AsyncBody): read() until null, then demand(this). */
    private static final class AsyncEcho implements Runnable {
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        AsyncEcho(Request request, Response response, Callback callback) {
            this.request = request;
            this.response = response;
            this.callback = callback;
        }

        @Override
        public void run() {
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    callback.failed(chunk.getFailure());
                    return;
                }
                ByteBuffer b = chunk.getByteBuffer();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                body.writeBytes(bytes);
                boolean last = chunk.isLast();
                chunk.release();
                if (last) {
                    echo(response, body.toByteArray(), callback);
                    return;
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private Http1Server serve(Request.Handler handler, Duration idle) throws IOException {
        Http1Server s = new Http1Server("127.0.0.1", 0, handler, 64 * 1024, idle).start();
        servers.add(s);
        return s;
    }

    private Socket connect(Http1Server server) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
        s.setSoTimeout(10_000);
        return s;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A request with {@code body} framed by content-length, or chunked in random pieces. */
    private static byte[] request(String method, String path, byte[] body, boolean chunked, Random rnd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 256);
        out.writeBytes(ascii(method + " " + path + " HTTP/1.1\r\nhost: h\r\n"));
        if (!chunked) {
            out.writeBytes(ascii("content-length: " + body.length + "\r\n\r\n"));
            out.writeBytes(body);
            return out.toByteArray();
        }
        out.writeBytes(ascii("transfer-encoding: chunked\r\n\r\n"));
        int at = 0;
        while (at < body.length) {
            int n = Math.min(body.length - at, 1 + rnd.nextInt(rnd.nextBoolean() ? 100 : 70_000));
            out.writeBytes(ascii(Integer.toHexString(n) + (rnd.nextInt(8) == 0 ? ";ext=1" : "") + "\r\n"));
            out.write(body, at, n);
            out.writeBytes(ascii("\r\n"));
            at += n;
        }
        out.writeBytes(ascii("0\r\n\r\n"));
        return out.toByteArray();
    }

    private static byte[] randomBody(Random rnd, int size) {
        byte[] b = new byte[size];
        rnd.nextBytes(b);
        return b;
    }

    /** A size from 0 to {@code max}, biased towards the interesting ones (0, tiny, around the 8 KB read buffer). */
    private static int randomSize(Random rnd, int max) {
        return switch (rnd.nextInt(6)) {
            case 0 -> 0;
            case 1 -> 1 + rnd.nextInt(64);
            case 2 -> 8 * 1024 - 64 + rnd.nextInt(128);
            default -> rnd.nextInt(max + 1);
        };
    }

    /** The server closed the connection: end of input (or a reset) within {@code within}, not a timeout. */
    private static void assertClosedByServer(Socket s, InputStream in, Duration within) throws IOException {
        s.setSoTimeout((int) within.toMillis());
        try {
            int b = in.read();
            assertThat(b)
                    .as("the server sent a byte where the connection should have ended")
                    .isEqualTo(-1);
        } catch (SocketTimeoutException e) {
            fail("the server did not close the connection within " + within);
        } catch (SocketException e) {
            // a reset: closed as well
        }
    }

    private record Head(int status, Map<String, String> headers) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Status line and headers; null at end of input before any byte. */
    private static Head readHead(InputStream in) throws IOException {
        String status = line(in);
        if (status == null) {
            return null;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        String h;
        while ((h = line(in)) != null && !h.isEmpty()) {
            int colon = h.indexOf(':');
            headers.merge(
                    h.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    h.substring(colon + 1).trim(),
                    (a, b) -> a + ", " + b);
        }
        if (h == null) {
            throw new EOFException("end of input inside the head");
        }
        return new Head(Integer.parseInt(status.split(" ", 3)[1]), headers);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                byte[] bytes = b.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    private static void assertJsonError(RawHttpExchange.Answer a) {
        assertThat(a.header("content-type")).isEqualTo("application/json");
        assertThat(a.bodyText()).startsWith("{").contains("\"type\":\"error\"");
    }

    // ------------------------------------------------------------------------------------------------ 1. backpressure

    /** Byte {@code offset} of the sequence of big-endian ints 0, 1, 2, ... */
    private static byte sequenceByte(long offset) {
        int value = (int) (offset >>> 2);
        return (byte) (value >>> (8 * (3 - (int) (offset & 3))));
    }

    @Test
    void aStreamToAClientThatDoesNotReadHoldsTheWriterBackAndArrivesWholeAndInOrder() throws Exception {
        int pieces = 800;
        int pieceBytes = 64 * 1024; // 50 MiB in all
        AtomicInteger written = new AtomicInteger();
        CompletableFuture<Void> handlerEnd = new CompletableFuture<>();
        Http1Server server = serve(
                (request, response, callback) -> {
                    Thread.ofVirtual().start(() -> {
                        try {
                            response.getHeaders().put("content-type", "application/octet-stream");
                            int intsPerPiece = pieceBytes / 4;
                            for (int k = 0; k < pieces; k++) {
                                ByteBuffer piece = ByteBuffer.allocate(pieceBytes);
                                IntBuffer ints = piece.asIntBuffer();
                                for (int j = 0; j < intsPerPiece; j++) {
                                    ints.put(k * intsPerPiece + j);
                                }
                                FutureCallback done = new FutureCallback();
                                response.write(false, piece, done);
                                done.get(30, TimeUnit.SECONDS);
                                written.incrementAndGet();
                            }
                            FutureCallback end = new FutureCallback();
                            response.write(true, ByteBuffer.allocate(0), end);
                            end.get(30, TimeUnit.SECONDS);
                            callback.succeeded();
                            handlerEnd.complete(null);
                        } catch (Throwable t) {
                            handlerEnd.completeExceptionally(t);
                            callback.failed(t);
                        }
                    });
                    return true;
                },
                LONG_IDLE);

        Socket s = connect(server);
        s.getOutputStream().write(ascii("GET /big HTTP/1.1\r\nhost: h\r\n\r\n"));
        Thread.sleep(1_000); // the client does not read for a second
        int heldAt = written.get();
        assertThat(heldAt).as("writes completed while the client read nothing").isLessThan(pieces);
        assertThat(handlerEnd).isNotDone();

        InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
        Head head = readHead(in);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("transfer-encoding")).isEqualTo("chunked");
        long offset = 0;
        byte[] buf = new byte[64 * 1024];
        while (true) {
            String size = line(in);
            assertThat(size).as("chunk size line at body offset " + offset).isNotNull();
            int n = Integer.parseInt(size.trim(), 16);
            if (n == 0) {
                assertThat(line(in)).isEmpty();
                break;
            }
            int left = n;
            while (left > 0) {
                int r = in.read(buf, 0, Math.min(buf.length, left));
                assertThat(r)
                        .as("end of input inside a chunk at body offset " + offset)
                        .isPositive();
                for (int i = 0; i < r; i++) {
                    if (buf[i] != sequenceByte(offset + i)) {
                        fail("wrong byte at body offset " + (offset + i) + ": " + buf[i] + " instead of "
                                + sequenceByte(offset + i));
                    }
                }
                offset += r;
                left -= r;
            }
            assertThat(line(in)).isEmpty();
        }
        assertThat(offset).isEqualTo((long) pieces * pieceBytes);
        handlerEnd.get(10, TimeUnit.SECONDS);
        assertThat(written.get()).isEqualTo(pieces);
    }

    // ------------------------------------------------------------------------------------------------ 2. resets

    @Test
    void aClientResetWhileTheHandlerWorksFailsTheRequestAndTheNextWrite() throws Exception {
        CountDownLatch handling = new CountDownLatch(1);
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        CompletableFuture<Void> write = new CompletableFuture<>();
        Http1Server server = serve(
                (request, response, callback) -> {
                    request.addFailureListener(failure::complete);
                    Thread.ofVirtual().start(() -> {
                        handling.countDown();
                        try {
                            failure.get(20, TimeUnit.SECONDS); // working until the client is gone
                        } catch (Exception e) {
                            // the test fails on the failure future
                        }
                        response.write(
                                true,
                                ByteBuffer.wrap(ascii("too late")),
                                Callback.from(() -> write.complete(null), write::completeExceptionally));
                        callback.failed(new IOException("client gone"));
                    });
                    return true;
                },
                LONG_IDLE);

        Socket s = connect(server);
        s.getOutputStream().write(ascii("GET /slow HTTP/1.1\r\nhost: h\r\n\r\n"));
        assertThat(handling.await(10, TimeUnit.SECONDS)).isTrue();
        s.setSoLinger(true, 0);
        s.close();

        assertThat(failure.get(5, TimeUnit.SECONDS))
                .as("the failure listener's cause")
                .isNotNull();
        assertThat(write).failsWithin(5, TimeUnit.SECONDS);
    }

    @Test
    void aClientResetDuringAPendingWriteFailsItsCallbackAndTheRequest() throws Exception {
        int bytes = 48 * 1024 * 1024; // more than the socket buffers of both ends hold
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        CompletableFuture<Void> write = new CompletableFuture<>();
        Http1Server server = serve(
                (request, response, callback) -> {
                    request.addFailureListener(failure::complete);
                    Thread.ofVirtual().start(() -> {
                        response.write(
                                false,
                                ByteBuffer.allocate(bytes),
                                Callback.from(() -> write.complete(null), write::completeExceptionally));
                        CompletableFuture<Void> unused =
                                write.whenComplete((v, t) -> callback.failed(t == null ? new IOException("?") : t));
                    });
                    return true;
                },
                LONG_IDLE);

        Socket s = connect(server);
        s.getOutputStream().write(ascii("GET /huge HTTP/1.1\r\nhost: h\r\n\r\n"));
        InputStream in = s.getInputStream();
        assertThat(new String(in.readNBytes(12), StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200");
        assertThat(write).as("a 48 MB write to a client that read 12 bytes").isNotDone();
        s.setSoLinger(true, 0);
        s.close();

        assertThat(write).failsWithin(5, TimeUnit.SECONDS);
        assertThat(failure.get(5, TimeUnit.SECONDS)).isNotNull();
    }

    // ------------------------------------------------------------------------------------------------ 3. half-close

    @Test
    void aClientThatHalfClosesAfterItsRequestGetsTheWholeAnswerThenTheServerCloses() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        Random rnd = new Random(3);
        byte[] body = randomBody(rnd, 100_000);
        for (String path : List.of("/blocking", "/async", "/aggregate")) {
            for (boolean chunked : new boolean[] {false, true}) {
                Socket s = connect(server);
                s.getOutputStream().write(request("POST", path, body, chunked, rnd));
                s.shutdownOutput();
                InputStream in = new BufferedInputStream(s.getInputStream());
                RawHttpExchange.Answer a = RawHttpExchange.readFinal(in);
                assertThat(a.status()).as(path + " chunked=" + chunked).isEqualTo(200);
                assertThat(a.body()).as(path + " chunked=" + chunked).isEqualTo(body);
                assertClosedByServer(s, in, Duration.ofSeconds(5));
            }
        }
        // a streamed answer too
        Socket s = connect(server);
        s.getOutputStream().write(ascii("GET /stream?parts=5&delay=20 HTTP/1.1\r\nhost: h\r\n\r\n"));
        s.shutdownOutput();
        InputStream in = new BufferedInputStream(s.getInputStream());
        RawHttpExchange.Answer a = RawHttpExchange.readFinal(in);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.bodyText()).isEqualTo("part0\npart1\npart2\npart3\npart4\n");
        assertClosedByServer(s, in, Duration.ofSeconds(5));
    }

    // ------------------------------------------------------------------------------------------------ 4. idle timeout

    @Test
    void anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        Http1Server server = serve(ROUTES, SHORT_IDLE);
        Socket s = connect(server);
        s.getOutputStream().write(request("POST", "/blocking", ascii("hi"), false, new Random(4)));
        InputStream in = new BufferedInputStream(s.getInputStream());
        long before = System.nanoTime();
        RawHttpExchange.Answer a = RawHttpExchange.read(in);
        assertThat(a.bodyText()).isEqualTo("hi");
        assertClosedByServer(s, in, Duration.ofSeconds(6));
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
        assertThat(waited).as("ms until the idle connection was closed").isBetween(800L, 4_000L);
    }

    @Test
    void aRequestThatIsNeverAnsweredFailsAfterTheIdleTimeoutAndItsConnectionCloses() throws Exception {
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        CompletableFuture<Response> pending = new CompletableFuture<>();
        Http1Server server = serve(
                (request, response, callback) -> {
                    request.addFailureListener(failure::complete);
                    pending.complete(response);
                    return true; // and nothing ever again
                },
                SHORT_IDLE);
        Socket s = connect(server);
        long before = System.nanoTime();
        s.getOutputStream().write(ascii("GET /never HTTP/1.1\r\nhost: h\r\n\r\n"));
        Throwable cause = failure.get(6, TimeUnit.SECONDS);
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
        assertThat(cause).isInstanceOf(TimeoutException.class);
        assertThat(waited).as("ms until the request failed").isBetween(800L, 4_000L);
        InputStream in = s.getInputStream();
        assertClosedByServer(s, in, Duration.ofSeconds(3));
        // a write after that is refused, not hung
        CompletableFuture<Void> late = new CompletableFuture<>();
        pending.get()
                .write(
                        true,
                        ByteBuffer.wrap(ascii("late")),
                        Callback.from(() -> late.complete(null), late::completeExceptionally));
        assertThat(late).failsWithin(5, TimeUnit.SECONDS);
    }

    @Test
    void aSlowButSteadyAnswerOrUploadIsNotCutByTheIdleTimeout() throws Exception {
        Http1Server server = serve(ROUTES, SHORT_IDLE);
        // an answer of 10 parts, one every 300 ms: 3 s in all, never 1 s without a byte
        Socket s = connect(server);
        s.getOutputStream().write(ascii("GET /stream?parts=10&delay=300 HTTP/1.1\r\nhost: h\r\n\r\n"));
        InputStream in = new BufferedInputStream(s.getInputStream());
        RawHttpExchange.Answer a = RawHttpExchange.read(in);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.bodyText()).isEqualTo("part0\npart1\npart2\npart3\npart4\npart5\npart6\npart7\npart8\npart9\n");

        // an upload of 8 bytes, one every 300 ms
        OutputStream out = s.getOutputStream();
        out.write(ascii("POST /blocking HTTP/1.1\r\nhost: h\r\ncontent-length: 8\r\n\r\n"));
        for (int i = 0; i < 8; i++) {
            Thread.sleep(300); // a slow client: time passing
            out.write('a' + i);
            out.flush();
        }
        a = RawHttpExchange.read(in);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.bodyText()).isEqualTo("abcdefgh");
    }

    @Test
    void aClientThatStopsReadingAStreamIsCutByTheIdleTimeoutAndTheWriterReleased() throws Exception {
        int bytes = 48 * 1024 * 1024;
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        CompletableFuture<Void> write = new CompletableFuture<>();
        Http1Server server = serve(
                (request, response, callback) -> {
                    request.addFailureListener(failure::complete);
                    response.write(
                            false,
                            ByteBuffer.allocate(bytes),
                            Callback.from(() -> write.complete(null), write::completeExceptionally));
                    CompletableFuture<Void> unused =
                            write.whenComplete((v, t) -> callback.failed(t == null ? new IOException("?") : t));
                    return true;
                },
                SHORT_IDLE);
        Socket s = connect(server);
        s.getOutputStream().write(ascii("GET /huge HTTP/1.1\r\nhost: h\r\n\r\n"));
        assertThat(new String(s.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1))
                .isEqualTo("HTTP/1.1 200");
        long before = System.nanoTime();
        // the client reads no more and does not close
        assertThat(write).failsWithin(6, TimeUnit.SECONDS);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before)).isBetween(700L, 4_000L);
        assertThat(failure.get(2, TimeUnit.SECONDS)).isInstanceOf(TimeoutException.class);
    }

    @Test
    void aRequestHeadThatStallsIsCutByTheIdleTimeout() throws Exception {
        Http1Server server = serve(ROUTES, SHORT_IDLE);
        Socket s = connect(server);
        long before = System.nanoTime();
        s.getOutputStream().write(ascii("GET /blocking HTTP/1.1\r\nhost: h\r\n"));
        InputStream in = s.getInputStream();
        assertClosedByServer(s, in, Duration.ofSeconds(6));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before)).isBetween(800L, 4_000L);
    }

    // ------------------------------------------------------------------------------------------------ 5. keep-alive

    @Test
    void twoHundredSequentialRequestsOnOneConnectionAreEachAnsweredCorrectly() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        Random rnd = new Random(5);
        Socket s = connect(server);
        OutputStream out = s.getOutputStream();
        InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
        String[] paths = {"/blocking", "/async", "/aggregate"};
        for (int i = 0; i < 200; i++) {
            byte[] body = randomBody(rnd, randomSize(rnd, 200 * 1024));
            boolean chunked = rnd.nextBoolean();
            String path = paths[i % paths.length];
            String what = "request " + i + " " + path + " " + body.length + " B chunked=" + chunked;
            out.write(request("POST", path, body, chunked, rnd));
            out.flush();
            RawHttpExchange.Answer a = RawHttpExchange.read(in);
            assertThat(a.timedOut()).as(what).isFalse();
            assertThat(a.status()).as(what).isEqualTo(200);
            assertThat(a.header("x-received")).as(what).isEqualTo(Integer.toString(body.length));
            if (!Arrays.equals(a.body(), body)) {
                fail(what + ": the echoed body differs (" + a.body().length + " B came back)");
            }
            assertThat(a.header("connection")).as(what).isNull();
        }
    }

    @Test
    void manyPipelinedRequestsLongerThanTheReadBufferAreAllAnsweredInOrder() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        Socket s = connect(server);
        Random rnd = new Random(55);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            byte[] body = randomBody(rnd, rnd.nextInt(300));
            bodies.add(body);
            all.writeBytes(request("POST", i % 2 == 0 ? "/async" : "/blocking", body, rnd.nextBoolean(), rnd));
        }
        // written by another thread, as the answers may fill the buffers before all requests are sent
        OutputStream out = s.getOutputStream();
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                out.write(all.toByteArray());
                out.flush();
            } catch (IOException ignored) {
                // the reads below fail then
            }
        });
        InputStream in = new BufferedInputStream(s.getInputStream());
        for (int i = 0; i < bodies.size(); i++) {
            RawHttpExchange.Answer a = RawHttpExchange.read(in);
            assertThat(a.status()).as("answer " + i).isEqualTo(200);
            assertThat(a.body()).as("answer " + i).isEqualTo(bodies.get(i));
        }
        writer.join(5_000);
    }

    @Test
    void chunksAHandlerHoldsUntilTheBodyEndsAreNotOverwritten() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        Random rnd = new Random(56);
        for (boolean chunked : new boolean[] {false, true}) {
            Socket s = connect(server);
            byte[] body = randomBody(rnd, 100_000);
            s.getOutputStream().write(request("POST", "/hold", body, chunked, rnd));
            RawHttpExchange.Answer a = RawHttpExchange.read(new BufferedInputStream(s.getInputStream()));
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.body().length).isEqualTo(body.length);
            int firstDiff = -1;
            for (int i = 0; i < body.length && firstDiff < 0; i++) {
                if (a.body()[i] != body[i]) {
                    firstDiff = i;
                }
            }
            assertThat(firstDiff)
                    .as("first corrupted byte of the echoed body (chunked=" + chunked + ")")
                    .isEqualTo(-1);
        }
    }

    @Test
    void http10KeepAliveIsHonouredAndAStreamedHttp10AnswerEndsWithTheConnection() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        Socket s = connect(server);
        InputStream in = new BufferedInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        out.write(ascii("POST /blocking HTTP/1.0\r\nconnection: keep-alive\r\ncontent-length: 3\r\n\r\none"));
        RawHttpExchange.Answer a = RawHttpExchange.read(in);
        assertThat(a.bodyText()).isEqualTo("one");
        assertThat(a.header("connection")).isEqualToIgnoringCase("keep-alive");
        out.write(ascii("GET /stream?parts=4 HTTP/1.0\r\nconnection: keep-alive\r\n\r\n"));
        a = RawHttpExchange.read(in); // no length, not chunked: the body is what comes before the end of input
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.header("transfer-encoding")).isNull();
        assertThat(a.header("connection")).isEqualTo("close");
        assertThat(a.bodyText()).isEqualTo("part0\npart1\npart2\npart3\n");
    }

    // ------------------------------------------------------------------------------------------------ 6. unread bodies

    @Test
    void aSmallBodyTheHandlerDoesNotReadIsDroppedAndTheConnectionGoesOn() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        Socket s = connect(server);
        OutputStream out = s.getOutputStream();
        InputStream in = new BufferedInputStream(s.getInputStream());
        Random rnd = new Random(6);
        for (int i = 0; i < 20; i++) {
            boolean chunked = i % 2 == 1;
            // head and body in one write: all of it is there when the answer is out
            out.write(request("POST", "/ignore", ascii("0123456789"), chunked, rnd));
            out.flush();
            RawHttpExchange.Answer a = RawHttpExchange.read(in);
            assertThat(a.status()).as("ignored " + i).isEqualTo(200);
            assertThat(a.bodyText()).isEqualTo("ignored");
            assertThat(a.header("connection")).as("ignored " + i).isNull();

            out.write(request("POST", "/blocking", ascii("next" + i), false, rnd));
            out.flush();
            a = RawHttpExchange.read(in);
            assertThat(a.status()).as("next " + i).isEqualTo(200);
            assertThat(a.bodyText()).isEqualTo("next" + i);
        }
    }

    @Test
    void aLargeBodyTheHandlerDoesNotReadStillGetsTheWholeAnswerAndTheConnectionThenCloses() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        Socket s = connect(server);
        OutputStream out = s.getOutputStream();
        int size = 8 * 1024 * 1024;
        CompletableFuture<Void> sent = new CompletableFuture<>();
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                out.write(ascii("POST /ignore HTTP/1.1\r\nhost: h\r\ncontent-length: " + size + "\r\n\r\n"));
                byte[] piece = new byte[64 * 1024];
                for (int at = 0; at < size; at += piece.length) {
                    out.write(piece);
                }
                out.flush();
                sent.complete(null);
            } catch (IOException e) {
                sent.completeExceptionally(e);
            }
        });
        InputStream in = new BufferedInputStream(s.getInputStream());
        RawHttpExchange.Answer a = RawHttpExchange.read(in);
        assertThat(a.timedOut()).isFalse();
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.bodyText()).isEqualTo("ignored");
        // What happens: the answer does not say "connection: close" (it was committed before the server knew the
        // body would be left), the server then shuts its output (end of input for the client) and drains the rest
        // of the body, so the client's upload ends normally rather than with a reset.
        // The rest of the body cannot be parsed as a next request: the connection must end (announced or not).
        assertClosedByServer(s, in, Duration.ofSeconds(5));
        assertThat(sent).as("the client's upload of the unread body").succeedsWithin(10, TimeUnit.SECONDS);
        writer.join(5_000);
    }

    // ------------------------------------------------------------------------------------------------ 7. concurrency

    @Test
    void fiftyClientsInParallelEachWithTwentyRequestsAreAllAnswered() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        int clients = 50;
        int each = 20;
        String[] paths = {"/blocking", "/async", "/aggregate"};
        CountDownLatch go = new CountDownLatch(1);
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicInteger answered = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                all.add(pool.submit(() -> {
                    Random rnd = new Random(700 + client);
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
                        s.setSoTimeout(20_000);
                        OutputStream out = s.getOutputStream();
                        InputStream in = new BufferedInputStream(s.getInputStream());
                        go.await();
                        for (int i = 0; i < each; i++) {
                            byte[] body = randomBody(rnd, randomSize(rnd, 30_000));
                            String path = paths[rnd.nextInt(paths.length)];
                            out.write(request("POST", path, body, rnd.nextBoolean(), rnd));
                            out.flush();
                            RawHttpExchange.Answer a = RawHttpExchange.read(in);
                            if (a.status() != 200 || !Arrays.equals(a.body(), body)) {
                                problems.add("client " + client + " request " + i + " " + path + ": status "
                                        + a.status() + " timedOut " + a.timedOut() + ", " + a.body().length + "/"
                                        + body.length + " B");
                                return null;
                            }
                            answered.incrementAndGet();
                        }
                    } catch (Exception e) {
                        problems.add("client " + client + ": " + e);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : all) {
                f.get(50, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(problems).isEmpty();
        assertThat(answered.get()).isEqualTo(clients * each);
    }

    // ------------------------------------------------------------------------------------------------ 8. handler
    // failures

    @Test
    void aHandlerThatThrowsGetsA500JsonAndTheConnectionGoesOn() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        Socket s = connect(server);
        InputStream in = new BufferedInputStream(s.getInputStream());
        s.getOutputStream().write(ascii("GET /throw HTTP/1.1\r\nhost: h\r\n\r\n"));
        RawHttpExchange.Answer a = RawHttpExchange.read(in);
        assertThat(a.status()).isEqualTo(500);
        assertJsonError(a);
        s.getOutputStream().write(request("POST", "/async", ascii("after"), false, new Random(8)));
        a = RawHttpExchange.read(in);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.bodyText()).isEqualTo("after");
    }

    @Test
    void aHandlerThatFailsItsCallbackBeforeWritingGetsA500Json() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        Socket s = connect(server);
        InputStream in = new BufferedInputStream(s.getInputStream());
        s.getOutputStream().write(ascii("GET /fail-before HTTP/1.1\r\nhost: h\r\n\r\n"));
        RawHttpExchange.Answer a = RawHttpExchange.read(in);
        assertThat(a.status()).isEqualTo(500);
        assertJsonError(a);
    }

    @Test
    void aFailureAfterACommittedStreamClosesTheConnectionWithoutTheLastChunk() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        Socket s = connect(server);
        InputStream in = new BufferedInputStream(s.getInputStream());
        s.getOutputStream().write(ascii("GET /fail-after-commit HTTP/1.1\r\nhost: h\r\n\r\n"));
        Head head = readHead(in);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("transfer-encoding")).isEqualTo("chunked");
        assertThat(line(in)).isEqualTo("7");
        assertThat(new String(in.readNBytes(9), StandardCharsets.ISO_8859_1)).isEqualTo("partial\r\n");
        // no "0\r\n\r\n": the client must see the stream broken, by the end of the connection
        assertClosedByServer(s, in, Duration.ofSeconds(5));
    }

    @Test
    void aHandlerThatSucceedsWithoutALastWriteHasItsAnswerEnded() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        Socket s = connect(server);
        InputStream in = new BufferedInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        out.write(ascii("GET /no-last HTTP/1.1\r\nhost: h\r\n\r\n"));
        RawHttpExchange.Answer a = RawHttpExchange.read(in);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.header("transfer-encoding")).isEqualTo("chunked");
        assertThat(a.bodyText()).isEqualTo("abc");
        out.write(ascii("GET /nothing HTTP/1.1\r\nhost: h\r\n\r\n"));
        a = RawHttpExchange.read(in);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.header("content-length")).isEqualTo("0");
        out.write(request("POST", "/blocking", ascii("still here"), true, new Random(9)));
        a = RawHttpExchange.read(in);
        assertThat(a.bodyText()).isEqualTo("still here");
    }

    @Test
    void aRequestNoHandlerTakesGetsA404Json() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        RawHttpExchange.Answer a = RawHttpExchange.send(
                server.port(), "GET /unhandled HTTP/1.1\r\nhost: h\r\n\r\n", true, Duration.ofSeconds(10));
        assertThat(a.status()).isEqualTo(404);
        assertJsonError(a);
    }

    // ------------------------------------------------------------------------------------------------ shutdown

    @Test
    void closingTheServerClosesItsConnectionsAndFailsTheRequestsInProgress() throws Exception {
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        CountDownLatch handling = new CountDownLatch(1);
        Http1Server server = serve(
                (request, response, callback) -> {
                    if (request.getHttpURI().getPath().equals("/hang")) {
                        request.addFailureListener(failure::complete);
                        handling.countDown();
                        return true; // never answered
                    }
                    return ROUTES.handle(request, response, callback);
                },
                LONG_IDLE);
        // one idle keep-alive connection, one with a request in progress
        Socket idle = connect(server);
        InputStream idleIn = new BufferedInputStream(idle.getInputStream());
        idle.getOutputStream().write(request("POST", "/blocking", ascii("x"), false, new Random(10)));
        assertThat(RawHttpExchange.read(idleIn).bodyText()).isEqualTo("x");
        Socket busy = connect(server);
        busy.getOutputStream().write(ascii("GET /hang HTTP/1.1\r\nhost: h\r\n\r\n"));
        assertThat(handling.await(10, TimeUnit.SECONDS)).isTrue();

        server.close();

        assertThat(failure.get(5, TimeUnit.SECONDS))
                .as("the in-progress request's failure")
                .isNotNull();
        assertClosedByServer(idle, idleIn, Duration.ofSeconds(5));
        assertClosedByServer(busy, busy.getInputStream(), Duration.ofSeconds(5));
    }

    // ------------------------------------------------------------------------------------------------ 9. bad requests

    private void assertRejected(Http1Server server, String raw, int... statuses) throws IOException {
        Socket s = connect(server);
        s.getOutputStream().write(ascii(raw)); // no half-close: the server must end the connection by itself
        InputStream in = new BufferedInputStream(s.getInputStream());
        RawHttpExchange.Answer a = RawHttpExchange.read(in);
        assertThat(a.timedOut()).as(raw).isFalse();
        assertThat(a.status())
                .as("status for " + raw.replace("\r\n", "\\r\\n"))
                .isIn(Arrays.stream(statuses).boxed().toArray());
        assertJsonError(a);
        assertClosedByServer(s, in, Duration.ofSeconds(5));
    }

    @Test
    void aContentLengthThatIsNotANumberGetsA400AndAClose() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        assertRejected(server, "POST /blocking HTTP/1.1\r\nhost: h\r\ncontent-length: ten\r\n\r\n0123456789", 400);
        assertRejected(server, "POST /blocking HTTP/1.1\r\nhost: h\r\ncontent-length: -5\r\n\r\n0123456789", 400);
        assertRejected(
                server,
                "POST /blocking HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd",
                400);
    }

    @Test
    void contentLengthTogetherWithTransferEncodingGetsA400AndAClose() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        assertRejected(
                server,
                "POST /blocking HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                400);
    }

    @Test
    void anInvalidChunkSizeGetsA4xxAndAClose() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        for (String path : List.of("/async", "/blocking")) {
            assertRejected(
                    server,
                    "POST " + path + " HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
                    400,
                    413,
                    422);
        }
    }

    @Test
    void aHeaderLineWithoutAColonGetsA400AndAClose() throws Exception {
        Http1Server server = serve(ROUTES, LONG_IDLE);
        assertRejected(server, "GET /blocking HTTP/1.1\r\nhost: h\r\nthis is not a header\r\n\r\n", 400);
    }
}
