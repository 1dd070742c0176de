package org.anthropicproxy.http1;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * TLS over a socket channel with an {@link SSLEngine}. The handshake runs blocking, on the thread that opens the
 * connection (a virtual thread), with the connect timeout; after it the channel is non-blocking and only records
 * are wrapped and unwrapped (plus what TLS 1.3 sends after its handshake: session tickets, key updates).
 * Not thread-safe: its connection calls it under its lock.
 */
final class TlsTransport implements Transport {

    private static final ByteBuffer[] NOTHING = {ByteBuffer.allocate(0)};

    private final SSLEngine engine;
    private final SocketChannel channel;
    private final ByteBuffer netIn;
    private final ByteBuffer netOut;
    private ByteBuffer appIn;
    private boolean wrapOwed;

    private TlsTransport(SSLEngine engine, SocketChannel channel) {
        this.engine = engine;
        this.channel = channel;
        int packet = engine.getSession().getPacketBufferSize();
        this.netIn = ByteBuffer.allocateDirect(packet).flip();
        this.netOut = ByteBuffer.allocateDirect(packet).flip();
        this.appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize())
                .flip();
    }

    /**
     * Shakes hands on {@code channel}, still in blocking mode, checking the server's certificate against {@code host}
     * (as a browser does); reads wait at most {@code timeoutMillis} each.
     */
    static TlsTransport handshake(SSLContext context, SocketChannel channel, String host, int port, int timeoutMillis)
            throws IOException {
        SSLEngine engine = context.createSSLEngine(host, port);
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        parameters.setApplicationProtocols(new String[] {"http/1.1"});
        engine.setSSLParameters(parameters);
        TlsTransport tls = new TlsTransport(engine, channel);
        channel.socket().setSoTimeout(timeoutMillis);
        InputStream socketIn = channel.socket().getInputStream();
        byte[] readBuffer = new byte[tls.netIn.capacity()];
        engine.beginHandshake();
        while (true) {
            switch (engine.getHandshakeStatus()) {
                case NEED_WRAP -> {
                    tls.netOut.clear();
                    SSLEngineResult r = engine.wrap(NOTHING, tls.netOut);
                    tls.netOut.flip();
                    while (tls.netOut.hasRemaining()) {
                        channel.write(tls.netOut);
                    }
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                        throw new SSLException("TLS handshake with " + host + " closed");
                    }
                }
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                    tls.appIn.compact();
                    SSLEngineResult r = engine.unwrap(tls.netIn, tls.appIn);
                    tls.appIn.flip();
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                        tls.netIn.compact();
                        int n;
                        try {
                            n = socketIn.read(readBuffer, 0, tls.netIn.remaining());
                        } catch (SocketTimeoutException e) {
                            throw new SocketTimeoutException("TLS handshake with " + host + " timed out");
                        }
                        if (n > 0) {
                            tls.netIn.put(readBuffer, 0, n);
                        }
                        tls.netIn.flip();
                        if (n < 0) {
                            throw new EOFException("TLS handshake with " + host + ": connection closed");
                        }
                    } else if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                        throw new SSLException("TLS handshake with " + host + " closed");
                    }
                }
                case NEED_TASK -> runTasks(engine);
                default -> {
                    return tls;
                }
            }
        }
    }

    private static void runTasks(SSLEngine engine) {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int total = 0;
        while (dst.hasRemaining()) {
            if (appIn.hasRemaining()) {
                int n = Math.min(appIn.remaining(), dst.remaining());
                ByteBuffer slice = appIn.slice(appIn.position(), n);
                dst.put(slice);
                appIn.position(appIn.position() + n);
                total += n;
                continue;
            }
            if (netIn.hasRemaining()) {
                appIn.clear();
                SSLEngineResult r = engine.unwrap(netIn, appIn);
                appIn.flip();
                afterEngine(r);
                if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                    return total > 0 ? total : -1;
                }
                if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize())
                            .flip();
                    continue;
                }
                if (r.getStatus() == SSLEngineResult.Status.OK && (r.bytesConsumed() > 0 || r.bytesProduced() > 0)) {
                    continue;
                }
                // BUFFER_UNDERFLOW: a record's rest is still on its way
            }
            netIn.compact();
            int n;
            try {
                n = channel.read(netIn);
            } finally {
                netIn.flip();
            }
            if (n < 0) {
                return total > 0 ? total : -1;
            }
            if (n == 0) {
                return total;
            }
        }
        return total;
    }

    @Override
    public void write(ByteBuffer[] srcs) throws IOException {
        flush();
        while (netOut.remaining() == 0 && Transport.remaining(srcs) > 0) {
            netOut.clear();
            SSLEngineResult r = engine.wrap(srcs, netOut);
            netOut.flip();
            afterEngine(r);
            if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                throw new SSLException("TLS connection closed");
            }
            channel.write(netOut);
        }
    }

    @Override
    public boolean flushed() {
        return !netOut.hasRemaining() && !wrapOwed;
    }

    @Override
    public void flush() throws IOException {
        if (netOut.hasRemaining()) {
            channel.write(netOut);
        }
        if (wrapOwed && !netOut.hasRemaining()) {
            // a key update answered after the bytes before it left
            wrapOwed = false;
            netOut.clear();
            afterEngine(engine.wrap(NOTHING, netOut));
            netOut.flip();
            channel.write(netOut);
        }
    }

    /** What the engine asks for after a record: its tasks run here; a record it owes (a key update) is sent next. */
    private void afterEngine(SSLEngineResult r) throws IOException {
        SSLEngineResult.HandshakeStatus s = r.getHandshakeStatus();
        if (s == SSLEngineResult.HandshakeStatus.NEED_TASK) {
            runTasks(engine);
            s = engine.getHandshakeStatus();
        }
        if (s == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
            wrapOwed = true;
            if (!netOut.hasRemaining()) {
                flush();
            }
        }
    }
}
