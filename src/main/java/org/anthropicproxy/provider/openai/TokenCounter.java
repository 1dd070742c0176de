package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Local token <em>estimate</em> for Anthropic requests (count_tokens, {@code message_start} input figures, output
 * estimates when an upstream sends no usage). Uses jtokkit {@code o200k_base}, which is not Claude's tokenizer: expect
 * an error of some percent. Counted: system text; per message a small overhead plus text, thinking text, tool_use
 * name + input JSON, tool_result content (recursively), documents (text; base64 PDFs ≈ bytes/4), search results;
 * per image {@code min(1600, w*h/750)} when PNG/GIF dimensions are readable from the header, else 1600; per tool
 * name + description + schema JSON plus overhead. Thread-safe; the encoding is built once per JVM.
 *
 * <h2>Memo</h2>
 * Claude Code re-sends the same system blocks, tool definitions and earlier messages every turn, so
 * {@link #countRequest} remembers the count of every text (short ones too: a tool name costs the tokenizer's per-call
 * overhead, far more than a hash) and of every JSON value it would otherwise stringify (tool schemas, tool_use inputs)
 * in a fixed table of {@value #MEMO_SLOTS} slots: key = a 64-bit hash of the text (or of the JSON tree's structure) +
 * its length (node count), value = the count. Nothing else is kept (no strings); a new key takes one of its two
 * candidate slots (the empty or less recently used one), and racing threads at worst count a text twice: the table
 * never grows and needs no lock. Counts are exactly those of uncached counting, barring a 64-bit hash collision
 * between texts of equal length. {@link #countText} (output estimates) never uses the memo.
 */
public final class TokenCounter {

    static final int IMAGE_TOKENS_UNKNOWN = 1600;
    static final int MEMO_SLOTS = 4096;
    private static final int MESSAGE_OVERHEAD = 4;
    private static final int TOOL_OVERHEAD = 8;
    private static final long TEXT_SEED = 0x243F6A8885A308D3L;
    private static final long NODE_SEED = 0x13198A2E03707344L;
    private static final long M1 = 0x9E3779B97F4A7C15L;
    private static final long M2 = 0xC2B2AE3D27D4EB4FL;
    private static final TokenCounter SHARED = new TokenCounter(MEMO_SLOTS);
    private static final TokenCounter QUICK = new TokenCounter(1024, true);

    /** The vocabulary takes a while to load and some MB: one per JVM, however many counters. */
    private static final class Vocabulary {
        static final Encoding ENCODING = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
    }

    /**
     * One memo slot. The key and count are final, so a racy read sees either a whole entry or none; {@code used} is a
     * racy hint for eviction only.
     */
    private static final class Entry {
        final long hash;
        final int length;
        final long tokens;
        int used;

        Entry(long hash, int length, long tokens, int used) {
            this.hash = hash;
            this.length = length;
            this.tokens = tokens;
            this.used = used;
        }
    }

    private final Entry[] memo;
    private final int mask;
    private final boolean quick;
    private int clock; // racy, ticks per store: an approximate recency for the two-choice eviction
    private final LongAdder tokenizerCalls = new LongAdder();
    private final LongAdder tokenizedChars = new LongAdder();

    /** {@code slots}: a power of two, or 0 for a counter without a memo. */
    TokenCounter(int slots) {
        this(slots, false);
    }

    private TokenCounter(int slots, boolean quick) {
        this.quick = quick;
        if (slots != 0 && Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two or 0");
        }
        this.memo = new Entry[slots];
        this.mask = slots - 1;
    }

    public static TokenCounter shared() {
        return SHARED;
    }

    /**
     * The same walk over a request without the tokenizer: a text counts one token per 4 ASCII characters and one per
     * other character (CJK text is about a token a character). For {@code message_start} when the upstream will send
     * its own count (every stream asks for it), so a proxy whose upstreams report usage never loads the vocabulary
     * (~35 MB of heap) nor spends a tokenizer pass on a new turn. Off by some ten percent from the tokenizer on
     * English and code.
     */
    public static TokenCounter quick() {
        return QUICK;
    }

    static long quickTokens(String s) {
        long ascii = 0;
        long other = 0;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                ascii++;
            } else if (!Character.isLowSurrogate(c)) {
                other++;
            }
        }
        return (ascii + 3) / 4 + other;
    }

    /** Tokens of {@code s}, always tokenized (no memo). */
    public long countText(String s) {
        if (s == null || s.isEmpty()) {
            return 0;
        }
        if (quick) {
            return quickTokens(s);
        }
        tokenizerCalls.increment();
        tokenizedChars.add(s.length());
        return Vocabulary.ENCODING.countTokensOrdinary(s);
    }

    /** How many texts this counter has tokenized (tests: what the memo and lazy estimates saved). */
    long tokenizerCalls() {
        return tokenizerCalls.sum();
    }

    /** How many characters this counter has tokenized. */
    long tokenizedChars() {
        return tokenizedChars.sum();
    }

    /** Occupied memo slots (tests: the memo stays bounded). */
    int memoEntries() {
        int n = 0;
        for (Entry e : memo) {
            if (e != null) {
                n++;
            }
        }
        return n;
    }

    /** Tokens of {@code s}, from the memo when it was counted before. */
    long countMemoized(String s) {
        if (s == null || s.isEmpty()) {
            return 0;
        }
        if (memo.length == 0) {
            return countText(s);
        }
        long h = hashChars(s, TEXT_SEED);
        int len = s.length();
        long known = lookup(h, len);
        if (known >= 0) {
            return known;
        }
        long n = countText(s);
        store(h, len, n);
        return n;
    }

    /** Tokens of {@code n.toString()} (compact JSON), from the memo when an equal tree was counted before. */
    long countJson(JsonNode n) {
        if (n == null) {
            return 0;
        }
        if (memo.length == 0 || !n.isContainerNode()) {
            return countText(n.toString());
        }
        NodeHash nh = new NodeHash();
        nh.add(n);
        long h = mix(nh.h ^ nh.nodes);
        long known = lookup(h, nh.nodes);
        if (known >= 0) {
            return known;
        }
        long count = countText(n.toString());
        store(h, nh.nodes, count);
        return count;
    }

    // Two candidate slots per key (from different hash bits): a new key takes an empty one, else the one used less
    // recently, so a few keys landing on one slot do not keep evicting each other.

    private long lookup(long h, int length) {
        Entry e = memo[(int) h & mask];
        if (e == null || e.hash != h || e.length != length) {
            e = memo[(int) (h >>> 40) & mask];
            if (e == null || e.hash != h || e.length != length) {
                return -1;
            }
        }
        int now = clock;
        if (e.used != now) {
            e.used = now; // written only when the clock moved (it ticks on misses): hits stay read-mostly across cores
        }
        return e.tokens;
    }

    private void store(long h, int length, long tokens) {
        int i1 = (int) h & mask;
        int i2 = (int) (h >>> 40) & mask;
        Entry a = memo[i1];
        Entry b = memo[i2];
        int slot = a == null ? i1 : b == null ? i2 : a.used - b.used <= 0 ? i1 : i2;
        memo[slot] = new Entry(h, length, tokens, ++clock);
    }

    public long countRequest(JsonNode req) {
        long n = countSystem(req.get("system"));
        for (JsonNode m : req.path("messages")) {
            n += countMessage(m);
        }
        return n + countTools(req.path("tools"));
    }

    /** A request's {@code system} value's share of {@link #countRequest} (null: none). */
    public long countSystem(JsonNode system) {
        return countContent(system);
    }

    /** One message's share of {@link #countRequest}. */
    public long countMessage(JsonNode message) {
        return MESSAGE_OVERHEAD + countContent(message.get("content"));
    }

    /** The tool list's share of {@link #countRequest}. */
    public long countTools(JsonNode tools) {
        long n = 0;
        for (JsonNode t : tools) {
            n += TOOL_OVERHEAD
                    + countMemoized(t.path("name").asText(""))
                    + countMemoized(t.path("description").asText(""));
            if (t.has("input_schema")) {
                n += countJson(t.get("input_schema"));
            }
        }
        return n;
    }

    private long countContent(JsonNode c) {
        if (c == null || c.isNull()) {
            return 0;
        }
        if (c.isTextual()) {
            return countMemoized(c.asText());
        }
        long n = 0;
        if (c.isArray()) {
            for (JsonNode b : c) {
                n += countBlock(b);
            }
        }
        return n;
    }

    private long countBlock(JsonNode b) {
        return switch (b.path("type").asText()) {
            case "text" -> countMemoized(b.path("text").asText());
            case "thinking" -> countMemoized(b.path("thinking").asText());
            case "tool_use" -> countMemoized(b.path("name").asText()) + countJson(b.path("input"));
            case "tool_result" -> countContent(b.get("content"));
            case "image" -> imageTokens(b.path("source"));
            case "document" -> documentTokens(b);
            case "search_result" -> countMemoized(b.path("title").asText("")) + countContent(b.get("content"));
            default -> countJson(b);
        };
    }

    private long documentTokens(JsonNode b) {
        JsonNode src = b.path("source");
        return countMemoized(b.path("title").asText(""))
                + switch (src.path("type").asText()) {
                    case "text" -> countMemoized(src.path("data").asText());
                    case "content" -> countContent(src.get("content"));
                    case "base64" -> src.path("data").asText().length() * 3L / 4 / 4;
                    default -> IMAGE_TOKENS_UNKNOWN;
                };
    }

    static long imageTokens(JsonNode src) {
        if (!"base64".equals(src.path("type").asText())) {
            return IMAGE_TOKENS_UNKNOWN;
        }
        String data = src.path("data").asText();
        try {
            int end = Math.min(data.length(), 32);
            while (end > 0 && data.charAt(end - 1) == '=') {
                end--;
            }
            byte[] head = Base64.getDecoder().decode(data.substring(0, end));
            long w = -1;
            long h = -1;
            if (head.length >= 24 && (head[0] & 0xff) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G') {
                w = be32(head, 16);
                h = be32(head, 20);
            } else if (head.length >= 10 && head[0] == 'G' && head[1] == 'I' && head[2] == 'F') {
                w = (head[6] & 0xff) | (head[7] & 0xff) << 8;
                h = (head[8] & 0xff) | (head[9] & 0xff) << 8;
            }
            if (w > 0 && h > 0) {
                return Math.max(1, Math.min(IMAGE_TOKENS_UNKNOWN, w * h / 750));
            }
        } catch (IllegalArgumentException e) {
            // not base64: fall through to the fixed estimate
        }
        return IMAGE_TOKENS_UNKNOWN;
    }

    private static long be32(byte[] b, int off) {
        return ((long) (b[off] & 0xff) << 24)
                | (b[off + 1] & 0xff) << 16
                | (b[off + 2] & 0xff) << 8
                | (b[off + 3] & 0xff);
    }

    // ------------------------------------------------------------------ hashing

    private static long mix(long x) {
        x *= M1;
        return x ^ (x >>> 29);
    }

    /**
     * Continues {@code h} over the characters of {@code s} and its length: two independent lanes of 4 characters per
     * step (each step a bijection of the lane state), so a long text hashes at a fraction of a nanosecond per char.
     */
    static long hashChars(String s, long h) {
        int n = s.length();
        long a = h ^ M2;
        long b = Long.rotateLeft(h, 32) ^ M1;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            long w0 = s.charAt(i)
                    | (long) s.charAt(i + 1) << 16
                    | (long) s.charAt(i + 2) << 32
                    | (long) s.charAt(i + 3) << 48;
            long w1 = s.charAt(i + 4)
                    | (long) s.charAt(i + 5) << 16
                    | (long) s.charAt(i + 6) << 32
                    | (long) s.charAt(i + 7) << 48;
            a = mix(a ^ w0);
            b = mix(b ^ w1) * M2;
        }
        long tail = 0;
        for (int k = 0; i < n; i++, k++) {
            tail = mix(tail ^ ((long) s.charAt(i) << (16 * (k & 3)))) + k;
        }
        return mix(a ^ Long.rotateLeft(b, 23) ^ mix(tail ^ n));
    }

    /** A hash of a JSON tree that differs whenever its compact serialization differs (field order included). */
    private static final class NodeHash {
        long h = NODE_SEED;
        int nodes;

        void add(JsonNode n) {
            nodes++;
            switch (n.getNodeType()) {
                case OBJECT -> {
                    h = mix(h ^ 'O');
                    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> f = it.next();
                        h = hashChars(f.getKey(), h ^ 'K');
                        add(f.getValue());
                    }
                    h = mix(h ^ '}');
                }
                case ARRAY -> {
                    h = mix(h ^ 'A');
                    for (JsonNode c : n) {
                        add(c);
                    }
                    h = mix(h ^ ']');
                }
                case STRING -> h = hashChars(n.textValue(), h ^ 'S');
                case BOOLEAN -> h = mix(h ^ (n.booleanValue() ? 'T' : 'F'));
                case NULL -> h = mix(h ^ 'Z');
                case NUMBER -> {
                    h = mix(h ^ ('N' + 31L * n.numberType().name().hashCode()));
                    if (n.isInt() || n.isLong()) {
                        h = mix(h ^ n.longValue());
                    } else {
                        h = hashChars(n.asText(), h);
                    }
                }
                default -> h = hashChars(n.toString(), h ^ 'X');
            }
        }
    }
}
