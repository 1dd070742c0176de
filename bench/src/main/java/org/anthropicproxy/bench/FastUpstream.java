package org.anthropicproxy.bench;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A lean upstream on 127.0.0.1 answering from the recorded fixtures, byte for byte.
 *
 * <ul>
 *   <li>{@code POST …/messages}: Anthropic format ({@code anthropic/message-text.json}, {@code anthropic/stream-text.sse});</li>
 *   <li>{@code POST …/chat/completions}: OpenAI format ({@code openai/chat-completion-text.json},
 *       {@code openai/stream-text-include-usage.sse});</li>
 * </ul>
 * A stream is answered when the body contains {@code "stream":true}. The path prefix picks the pacing:
 * none = the whole answer in one write; {@code /slow} = the fixture's opening events at once, then {@value #SLOW_CHUNKS}
 * content chunks {@value #SLOW_GAP_MS} ms apart, then its closing events; {@code /hold} = the opening events, then
 * nothing until {@link #releaseHeld()}.
 *
 * <p>Slow chunks reuse the fixture's first content chunk with its text replaced by {@code @@kk:nanos@@} (chunk number,
 * {@link System#nanoTime()} just before the write). The load client runs in this JVM, so it reads each chunk's
 * delivery delay straight from the text it receives, through the proxy or not.
 */
public final class FastUpstream implements AutoCloseable {

    public static final int SLOW_CHUNKS = 20;
    public static final int SLOW_GAP_MS = 5;

    private record Paced(byte[] opening, String chunkTemplate, byte[] closing, byte[] whole) {}

    private final Server server;
    private final ServerConnector connector;
    private final byte[] anthropicJson = BenchData.bytes("anthropic/message-text.json");
    private final byte[] openaiJson = BenchData.bytes("openai/chat-completion-text.json");
    private final Paced anthropic = paced(
            BenchData.sseEvents("anthropic/stream-text.sse"),
            "event: content_block_delta",
            Pattern.compile("(\"text\":\")([^\"]*)(\")"));
    private final Paced openai = paced(
            BenchData.sseEvents("openai/stream-text-include-usage.sse"),
            null,
            Pattern.compile("(\"content\":\")([^\"]+)(\")"));
    private volatile CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger held = new AtomicInteger();

    public FastUpstream() {
        QueuedThreadPool pool = new QueuedThreadPool(256);
        pool.setName("upstream-sim");
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        connector.setAcceptQueueSize(4096);
        connector.setIdleTimeout(300_000);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract(Handler.Abstract.InvocationType.BLOCKING) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                serve(request, response, callback);
                return true;
            }
        });
        try {
            server.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + connector.getLocalPort();
    }

    /** Streams held open right now ({@code /hold}, opening events written). */
    public int held() {
        return held.get();
    }

    /** Lets every held stream finish; later {@code /hold} requests are held again. */
    public void releaseHeld() {
        CountDownLatch r = release;
        release = new CountDownLatch(1);
        r.countDown();
    }

    private void serve(Request request, Response response, Callback callback) throws Exception {
        byte[] body;
        try (InputStream in = Content.Source.asInputStream(request)) {
            body = in.readAllBytes();
        }
        String path = request.getHttpURI().getPath();
        boolean isAnthropic = path.endsWith("/messages");
        if (!isAnthropic && !path.endsWith("/chat/completions")) {
            response.setStatus(404);
            callback.succeeded();
            return;
        }
        boolean stream = contains(body, STREAM_TRUE);
        if (!stream) {
            byte[] json = isAnthropic ? anthropicJson : openaiJson;
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, json.length);
            response.write(true, ByteBuffer.wrap(json), callback);
            return;
        }
        Paced p = isAnthropic ? anthropic : openai;
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        if (path.startsWith("/slow/")) {
            slow(p, response);
            response.write(true, ByteBuffer.wrap(p.closing), callback);
        } else if (path.startsWith("/hold/")) {
            CountDownLatch r = release;
            write(response, p.opening);
            held.incrementAndGet();
            try {
                r.await(120, TimeUnit.SECONDS);
            } finally {
                held.decrementAndGet();
            }
            byte[] rest = new byte[p.whole.length - p.opening.length];
            System.arraycopy(p.whole, p.opening.length, rest, 0, rest.length);
            response.write(true, ByteBuffer.wrap(rest), callback);
        } else {
            response.write(true, ByteBuffer.wrap(p.whole), callback);
        }
    }

    private void slow(Paced p, Response response) throws Exception {
        long t0 = System.nanoTime();
        write(response, p.opening);
        for (int k = 0; k < SLOW_CHUNKS; k++) {
            long due = t0 + (k + 1) * SLOW_GAP_MS * 1_000_000L;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            String marker = "@@" + (k < 10 ? "0" : "") + k + ":" + System.nanoTime() + "@@";
            write(response, p.chunkTemplate.replace("\u0000", marker).getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void write(Response response, byte[] bytes) throws Exception {
        try (Blocker.Callback cb = Blocker.callback()) {
            response.write(false, ByteBuffer.wrap(bytes), cb);
            cb.block();
        }
    }

    /**
     * Splits a recorded stream into its opening (events before the first content chunk), a content chunk template
     * (that chunk with its text replaced by a NUL placeholder) and its closing (events after the last content chunk).
     */
    private static Paced paced(List<byte[]> events, String contentEventPrefix, Pattern text) {
        int first = -1;
        int last = -1;
        for (int i = 0; i < events.size(); i++) {
            String e = new String(events.get(i), StandardCharsets.UTF_8);
            boolean content = (contentEventPrefix == null || e.startsWith(contentEventPrefix))
                    && text.matcher(e).find();
            if (content) {
                if (first < 0) {
                    first = i;
                }
                last = i;
            }
        }
        if (first < 0) {
            throw new IllegalStateException("no content chunk in the stream fixture");
        }
        String template = new String(events.get(first), StandardCharsets.UTF_8);
        Matcher m = text.matcher(template);
        m.find();
        template = template.substring(0, m.start(2)) + "\u0000" + template.substring(m.end(2));
        return new Paced(
                concat(events.subList(0, first)),
                template,
                concat(events.subList(last + 1, events.size())),
                concat(events));
    }

    private static byte[] concat(List<byte[]> parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    private static final byte[] STREAM_TRUE = "\"stream\":true".getBytes(StandardCharsets.US_ASCII);

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0, n = hay.length - needle.length; i <= n; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Override
    public void close() throws Exception {
        releaseHeld();
        server.stop();
    }
}
