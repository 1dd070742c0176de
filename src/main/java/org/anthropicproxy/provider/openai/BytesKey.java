package org.anthropicproxy.provider.openai;

import java.util.Arrays;
import org.anthropicproxy.json.BodySplice;
import org.anthropicproxy.json.MessagesRequestScan.Span;

/**
 * A value of a request, by its bytes and where it stood (a tag: a message's position, say), as a memo key: a copy of
 * the bytes, compared whole, hashed once.
 */
final class BytesKey {

    final byte[] bytes;
    final int tag;
    final int hash;

    private BytesKey(byte[] bytes, int tag) {
        this.bytes = bytes;
        this.tag = tag;
        this.hash = Arrays.hashCode(bytes) * 31 + tag;
    }

    /** The value at {@code span} of {@code body}, or null when it is over {@code maxBytes} (not worth keeping). */
    static BytesKey of(byte[] body, Span span, int tag, int maxBytes) {
        return span.end() - span.start() > maxBytes ? null : new BytesKey(BodySplice.slice(body, span), tag);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BytesKey k && k.hash == hash && k.tag == tag && Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
