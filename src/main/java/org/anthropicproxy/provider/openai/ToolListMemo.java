package org.anthropicproxy.provider.openai;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.anthropicproxy.json.MessagesRequestScan.Span;

/**
 * Tool lists already mapped, by their bytes in the request. Claude Code sends the same list (a dozen tools with long
 * descriptions and schemas, often the larger part of a turn's body) with every turn: found here, it is neither parsed,
 * nor mapped, nor serialized again. Bounded in entries and in bytes (an entry holds its list about three times: the
 * key, the tree, the serialized form; a list over {@value #MAX_LIST_BYTES} bytes is not kept, so the memo holds at
 * most ~{@value #ENTRIES} × 3 × {@value #MAX_LIST_BYTES} bytes whatever clients send); cleared when full, as a
 * gateway's live set of lists is small and refills it at once.
 */
final class ToolListMemo {

    static final int ENTRIES = 32;
    /** Claude Code's dozen tools are ~20–40 KB. */
    static final int MAX_LIST_BYTES = 256 * 1024;

    /** A mapped list and its share of message_start's quick input estimate. */
    record Entry(MappedTools tools, long quickTokens) {}

    private final Map<BytesKey, Entry> entries = new ConcurrentHashMap<>();

    /** The list at {@code span} of {@code body}, as a key for {@link #get} and {@link #put}; null if too large to keep. */
    static BytesKey key(byte[] body, Span span) {
        return BytesKey.of(body, span, 0, MAX_LIST_BYTES);
    }

    Entry get(BytesKey key) {
        return entries.get(key);
    }

    void put(BytesKey key, Entry entry) {
        if (entries.size() >= ENTRIES) {
            entries.clear();
        }
        entries.put(key, entry);
    }
}
