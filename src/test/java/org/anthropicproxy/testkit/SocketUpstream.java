package org.anthropicproxy.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An upstream at the socket level, for faults a well-behaved HTTP server cannot produce: a reset (RST) mid-stream,
 * silence before or after the headers, a body that ends inside an event, a flood of events into a proxy whose client
 * reads nothing. Each connection runs {@link Behaviour} on a virtual thread; responses are close-delimited.
 */
public final class SocketUpstream implements AutoCloseable {

    @FunctionalInterface
    public interface Behaviour {
        void serve(Conn conn) throws Exception;
    }

    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger cancelled = new AtomicInteger();
    private final AtomicLong bytesWritten = new AtomicLong();
    private volatile Behaviour behaviour;

    public SocketUpstream(Behaviour behaviour) throws IOException {
        this.behaviour = behaviour;
        server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofVirtual().name("socket-upstream-accept").start(this::acceptLoop);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    public void behave(Behaviour b) {
        this.behaviour = b;
    }

    /** Connections still open (the proxy has not closed or been cut from them yet). */
    public int inFlight() {
        return open.size();
    }

    public int accepted() {
        return accepted.get();
    }

    /** Connections whose writes failed or whose peer closed while the behaviour was still going: the proxy went away. */
    public int cancelled() {
        return cancelled.get();
    }

    public long bytesWritten() {
        return bytesWritten.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                open.add(s);
                Thread.ofVirtual().name("socket-upstream-conn").start(() -> {
                    try (s) {
                        behaviour.serve(new Conn(s));
                    } catch (IOException e) {
                        cancelled.incrementAndGet();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (Exception e) {
                        // a behaviour's own failure: the connection closes
                    } finally {
                        open.remove(s);
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    /** One accepted connection. */
    public final class Conn {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private byte[] body;
        private Map<String, String> headers;

        Conn(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        /** Reads the request head and a content-length or chunked body. */
        public Conn readRequest() throws IOException {
            headers = new LinkedHashMap<>();
            String line = RawHttpExchange.line(in);
            if (line == null) {
                throw new IOException("no request");
            }
            String h;
            while ((h = RawHttpExchange.line(in)) != null && !h.isEmpty()) {
                int c = h.indexOf(':');
                if (c > 0) {
                    headers.put(
                            h.substring(0, c).trim().toLowerCase(Locale.ROOT),
                            h.substring(c + 1).trim());
                }
            }
            String cl = headers.get("content-length");
            if (cl != null) {
                body = in.readNBytes(Integer.parseInt(cl));
            } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                while (true) {
                    int n = Integer.parseInt(RawHttpExchange.line(in).trim(), 16);
                    if (n == 0) {
                        RawHttpExchange.line(in);
                        break;
                    }
                    b.write(in.readNBytes(n));
                    RawHttpExchange.line(in);
                }
                body = b.toByteArray();
            } else {
                body = new byte[0];
            }
            return this;
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        /** Status line and headers of a close-delimited response. */
        public Conn head(int status, String contentType) throws IOException {
            return write("HTTP/1.1 " + status + " X\r\ncontent-type: " + contentType + "\r\nconnection: close\r\n\r\n");
        }

        public Conn write(String s) throws IOException {
            return write(s.getBytes(StandardCharsets.UTF_8));
        }

        public Conn write(byte[] b) throws IOException {
            out.write(b);
            out.flush();
            bytesWritten.addAndGet(b.length);
            return this;
        }

        public Conn pause(Duration d) throws InterruptedException {
            Thread.sleep(d);
            return this;
        }

        /** Aborts the connection with a TCP reset (SO_LINGER 0). */
        public void reset() throws IOException {
            socket.setSoLinger(true, 0);
            socket.close();
        }

        /**
         * Blocks until the proxy closes its side (cancelled: counted, returns true) or {@code max} passes
         * (returns false). Used to go silent while noticing cancellation.
         */
        public boolean awaitPeerClose(Duration max) throws IOException {
            socket.setSoTimeout((int) Math.max(1, max.toMillis()));
            try {
                while (in.read() >= 0) {
                    // discard: nothing more is expected from the proxy
                }
                cancelled.incrementAndGet();
                return true;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                cancelled.incrementAndGet();
                return true;
            }
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // teardown
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // teardown
            }
        }
        acceptor.interrupt();
    }
}
