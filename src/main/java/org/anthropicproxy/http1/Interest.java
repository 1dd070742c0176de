package org.anthropicproxy.http1;

import java.nio.channels.SelectionKey;

/**
 * The readiness a connection waits for. Any thread may change it (under the connection's lock); the selection key
 * is only touched on the loop thread, so a change from elsewhere is handed to the loop, and only when it differs.
 */
final class Interest {

    private final IoLoop loop;
    private final Object lock;
    private SelectionKey key;
    private int ops;

    Interest(IoLoop loop, Object lock) {
        this.loop = loop;
        this.lock = lock;
    }

    /** On the loop thread: registers the channel, waiting to read. */
    void register(java.nio.channels.SelectableChannel channel, IoLoop.Ready attachment) throws java.io.IOException {
        ops = SelectionKey.OP_READ;
        key = channel.register(loop.selector(), ops, attachment);
    }

    /** Under the connection's lock. */
    void set(boolean read, boolean write) {
        int wanted = (read ? SelectionKey.OP_READ : 0) | (write ? SelectionKey.OP_WRITE : 0);
        if (wanted != ops) {
            ops = wanted;
            if (loop.inLoop()) {
                apply();
            } else {
                loop.later(this::apply);
            }
        }
    }

    private void apply() {
        SelectionKey k;
        int now;
        synchronized (lock) {
            k = key;
            now = ops;
        }
        if (k != null && k.isValid()) {
            k.interestOps(now);
        }
    }
}
