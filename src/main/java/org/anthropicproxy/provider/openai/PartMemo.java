package org.anthropicproxy.provider.openai;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.anthropicproxy.json.MessagesRequestScan.Span;

/**
 * Request parts already mapped ({@link MappedPart}), by their bytes and position. Each turn of a conversation repeats
 * the previous turn's system value and messages; found here, they are neither parsed, nor mapped, nor serialized
 * again, and a long session costs what its new messages cost instead of what the whole conversation does.
 *
 * <p>Bounded by weight (key bytes plus {@link MappedPart#weight()}): two generations of at most
 * {@value #GENERATION_WEIGHT} each. New parts go to the young one; when it is full it becomes the old one and the old
 * one is dropped; a part found in the old generation moves back to the young one. So what the live conversations
 * send stays, and what no request has sent for a generation goes. A part over {@value #MAX_PART_BYTES} bytes is not
 * kept.
 *
 * <p>A part is kept the second time it is mapped, not the first: a fixed table of {@value #SEEN_SLOTS} hashes (a
 * doorkeeper, as in TinyLFU) remembers what was mapped once. What a client sends once (the newest turn of a
 * conversation that ends there, one-off requests) then never enters the memo. Entries live long enough to reach the
 * old generation of the heap, and the serial collector grows the old generation before it collects it; a memo
 * that took every part turned over several MB a second at 200 requests a second and, in the load bench, raised the
 * proxy's RSS by ~75 MB. A conversation's message costs one extra mapping (in the turn after it was new).
 */
final class PartMemo {

    static final long GENERATION_WEIGHT = 8L << 20;
    static final int MAX_PART_BYTES = 256 * 1024;
    static final int SEEN_SLOTS = 8192;

    /** A mapped part and its share of message_start's quick input estimate. */
    record Entry(MappedPart part, long quickTokens) {}

    private static final class Generation {
        final ConcurrentHashMap<BytesKey, Entry> entries = new ConcurrentHashMap<>();
        final AtomicLong weight = new AtomicLong();
    }

    private volatile Generation young = new Generation();
    private volatile Generation old = new Generation();
    /** Racy on purpose: a lost or stale slot only delays or hastens one part's entry. */
    private final long[] seen = new long[SEEN_SLOTS];

    /** The part at {@code span} of {@code body} at {@code position} (-1: system), as a key; null if too large to keep. */
    static BytesKey key(byte[] body, Span span, int position) {
        return BytesKey.of(body, span, position, MAX_PART_BYTES);
    }

    Entry get(BytesKey key) {
        Generation y = young;
        Entry e = y.entries.get(key);
        if (e == null) {
            e = old.entries.get(key);
            if (e != null) {
                store(key, e);
            }
        }
        return e;
    }

    /** Keeps {@code entry} if {@code key} was put before (and not forgotten since); else remembers that it was. */
    void put(BytesKey key, Entry entry) {
        long mark = (long) key.hash << 32 | key.bytes.length;
        int slot = (key.hash ^ key.hash >>> 16) & (SEEN_SLOTS - 1);
        if (seen[slot] != mark) {
            seen[slot] = mark;
            return;
        }
        store(key, entry);
    }

    private void store(BytesKey key, Entry entry) {
        long w = key.bytes.length + entry.part().weight();
        Generation y = young;
        if (y.weight.addAndGet(w) > GENERATION_WEIGHT) {
            synchronized (this) {
                if (young == y) {
                    old = y;
                    young = new Generation();
                }
                y = young;
            }
            y.weight.addAndGet(w);
        }
        y.entries.put(key, entry);
    }

    /** Weight held (tests: the memo stays bounded). */
    long weight() {
        return young.weight.get() + old.weight.get();
    }
}
