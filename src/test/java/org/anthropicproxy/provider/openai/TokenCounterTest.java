package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.anthropicproxy.testkit.Fixtures;
import org.junit.jupiter.api.Test;

class TokenCounterTest {

    final TokenCounter tc = TokenCounter.shared();

    ObjectNode req(String text) {
        ObjectNode r = RequestMapperTest.req("{'model':'m','max_tokens':1,'messages':[{'role':'user','content':'x'}]}");
        ((ObjectNode) r.path("messages").get(0)).put("content", text);
        return r;
    }

    @Test
    void monotoneInContentSize() {
        long prev = -1;
        for (int n : new int[] {0, 1, 10, 100, 1000}) {
            long c = tc.countRequest(req("hello world ".repeat(n)));
            assertThat(c).isGreaterThan(prev);
            prev = c;
        }
    }

    @Test
    void countsToolsImagesAndTheClaudeCodeFixture() {
        ObjectNode r = Fixtures.object("synthetic/anthropic-request-claude-code-like.json");
        long all = tc.countRequest(r);
        ObjectNode noTools = r.deepCopy();
        noTools.remove("tools");
        assertThat(all).isGreaterThan(tc.countRequest(noTools));
        // the 1x1 PNG in the fixture is read from its header: 1 token, not the 1600 fallback
        assertThat(TokenCounter.imageTokens(
                        r.path("messages").get(0).path("content").get(1).path("source")))
                .isEqualTo(1);
        // the URL image inside the tool_result has unknown size: the fixed estimate is part of the total
        assertThat(all).isGreaterThan(TokenCounter.IMAGE_TOKENS_UNKNOWN);
        assertThat(TokenCounter.imageTokens(RequestMapperTest.req("{'type':'url','url':'https://x'}")))
                .isEqualTo(1600);
        assertThat(tc.countText("hello world")).isEqualTo(2);
    }

    /** The Claude Code fixture grown by earlier turns, like a long session's request. */
    static ObjectNode longSession(int turns) {
        ObjectNode r = Fixtures.object("synthetic/anthropic-request-claude-code-like.json");
        ArrayNode messages = (ArrayNode) r.get("messages");
        for (int i = 0; i < turns; i++) {
            messages.addObject()
                    .put("role", "assistant")
                    .putArray("content")
                    .addObject()
                    .put("type", "tool_use")
                    .put("id", "toolu_" + i)
                    .put("name", "Bash")
                    .putObject("input")
                    .put("command", "ls -la /tmp/dir" + i)
                    .put("timeout", 1000 + i)
                    .put("ratio", 0.5 + i);
            messages.addObject()
                    .put("role", "user")
                    .putArray("content")
                    .addObject()
                    .put("type", "tool_result")
                    .put("tool_use_id", "toolu_" + i)
                    .put("content", ("total " + i + "\ndrwxr-xr-x 2 user user 4096 file" + i + ".txt\n").repeat(20));
        }
        return r;
    }

    @Test
    void memoGivesTheUncachedCountsAndSavesTokenizing() {
        TokenCounter uncached = new TokenCounter(0);
        TokenCounter memo = new TokenCounter(TokenCounter.MEMO_SLOTS);
        ObjectNode r = longSession(50);
        long expected = uncached.countRequest(r);
        assertThat(memo.countRequest(r)).isEqualTo(expected);
        long firstChars = memo.tokenizedChars();
        assertThat(memo.countRequest(r)).isEqualTo(expected);
        long secondChars = memo.tokenizedChars() - firstChars;
        // the same request again tokenizes nothing
        assertThat(secondChars).isZero();
        // the next turn adds a tool call and its result: only those are new
        ObjectNode next = longSession(51);
        long before = memo.tokenizedChars();
        assertThat(memo.countRequest(next)).isEqualTo(uncached.countRequest(next));
        JsonNode added = next.path("messages");
        long newChars = (long) added.get(added.size() - 2)
                        .path("content")
                        .get(0)
                        .path("input")
                        .toString()
                        .length()
                + added.get(added.size() - 1)
                        .path("content")
                        .get(0)
                        .path("content")
                        .asText()
                        .length();
        assertThat(memo.tokenizedChars() - before).isEqualTo(newChars);
        // and the shared counter agrees
        assertThat(TokenCounter.shared().countRequest(next)).isEqualTo(uncached.countRequest(next));
    }

    @Test
    void memoKeysTellJsonValuesApart() throws Exception {
        ObjectMapper om = new ObjectMapper();
        TokenCounter memo = new TokenCounter(TokenCounter.MEMO_SLOTS);
        String[] variants = {
            "{\"a\":1,\"b\":\"xyz\"}",
            "{\"b\":\"xyz\",\"a\":1}",
            "{\"a\":1.0,\"b\":\"xyz\"}",
            "{\"a\":\"1\",\"b\":\"xyz\"}",
            "{\"a\":[1,2],\"b\":\"xyz\"}",
            "{\"a\":[[1],2],\"b\":\"xyz\"}",
            "{\"a\":true,\"b\":null}",
            "{\"a\":false,\"b\":null}",
            "{\"a\":1e400,\"b\":\"xyz\"}",
            "{\"a\":12345678901234567890,\"b\":\"xyz\"}",
            "{\"ab\":1,\"\":\"xyz\"}",
            "{\"a\":{\"b\":{}}}",
            "{\"a\":{\"b\":[]}}",
            "{\"a\":{},\"b\":{}}",
            "[\"a\",\"b\"]",
            "[\"ab\"]"
        };
        for (int round = 0; round < 2; round++) {
            for (String v : variants) {
                JsonNode n = om.readTree(v);
                assertThat(memo.countJson(n)).as(v).isEqualTo(memo.countText(n.toString()));
            }
        }
    }

    @Test
    void memoStaysBoundedAndCorrectUnderChurn() {
        TokenCounter memo = new TokenCounter(64);
        TokenCounter uncached = new TokenCounter(0);
        Random rnd = new Random(7);
        String[] words = {"alpha", "beta", "gamma", " ", "\n", "delta", "日本語", "😀", "{", "}", "0123"};
        for (int i = 0; i < 5000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + rnd.nextInt(200);
            while (sb.length() < len) {
                sb.append(words[rnd.nextInt(words.length)]);
            }
            String s = sb.toString();
            assertThat(memo.countMemoized(s)).isEqualTo(uncached.countText(s));
            if (i % 3 == 0) {
                assertThat(memo.countMemoized(s)).isEqualTo(uncached.countText(s)); // a hit
            }
        }
        assertThat(memo.memoEntries()).isLessThanOrEqualTo(64).isGreaterThan(32);
        assertThat(TokenCounter.shared().memoEntries()).isLessThanOrEqualTo(TokenCounter.MEMO_SLOTS);
    }

    @Test
    void hashSeparatesNearTexts() {
        String base = "x".repeat(100);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            seen.add(TokenCounter.hashChars(base.substring(0, i) + "y" + base.substring(i + 1), 1));
            seen.add(TokenCounter.hashChars(base.substring(0, i), 1));
        }
        assertThat(seen).hasSize(200);
    }

    @Test
    void memoIsSafeUnderConcurrentUse() throws Exception {
        TokenCounter memo = new TokenCounter(16); // tiny: threads keep evicting each other's entries
        TokenCounter uncached = new TokenCounter(0);
        ObjectNode[] reqs = {longSession(3), longSession(7), longSession(12)};
        long[] expected = new long[reqs.length];
        for (int i = 0; i < reqs.length; i++) {
            expected[i] = uncached.countRequest(reqs[i]);
        }
        List<Future<Boolean>> results = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(4)) {
            for (int t = 0; t < 8; t++) {
                int start = t;
                results.add(pool.submit(() -> {
                    for (int k = 0; k < 30; k++) {
                        int i = (start + k) % reqs.length;
                        if (memo.countRequest(reqs[i]) != expected[i]) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (var f : results) {
                assertThat(f.get()).isTrue();
            }
        }
        assertThat(memo.memoEntries()).isLessThanOrEqualTo(16);
    }
}
