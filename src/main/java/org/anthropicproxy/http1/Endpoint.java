package org.anthropicproxy.http1;

import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * What a server connection and an upstream connection share: the socket and its transport, the input buffer, the
 * readiness waited for, and the state of the input. Guarded by the connection's lock (the object itself).
 */
abstract class Endpoint extends ParsedMessage {

    final IoLoop loop;
    final SocketChannel channel;
    final Transport transport;
    final InputBuffer in;
    final Interest interest;
    volatile long lastActivity = System.nanoTime();
    boolean inputShut;
    boolean closed;

    Endpoint(IoLoop loop, SocketChannel channel, Transport transport, int bufferBytes) {
        this.loop = loop;
        this.channel = channel;
        this.transport = transport;
        this.in = new InputBuffer(bufferBytes, this);
        this.interest = new Interest(loop, this);
    }

    /** Reads what the socket has into the input buffer (-1 at the end of input), noting activity and the end. */
    int fill() throws IOException {
        if (inputShut) {
            return -1;
        }
        int n = in.fill(transport);
        if (n > 0) {
            lastActivity = System.nanoTime();
        } else if (n < 0) {
            inputShut = true;
        }
        return n;
    }
}
