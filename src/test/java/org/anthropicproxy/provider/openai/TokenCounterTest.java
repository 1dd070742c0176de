package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
        assertThat(TokenCounter.imageTokens(r.path("messages").get(0).path("content").get(1).path("source"))).isEqualTo(1);
        // the URL image inside the tool_result has unknown size: the fixed estimate is part of the total
        assertThat(all).isGreaterThan(TokenCounter.IMAGE_TOKENS_UNKNOWN);
        assertThat(TokenCounter.imageTokens(RequestMapperTest.req("{'type':'url','url':'https://x'}"))).isEqualTo(1600);
        assertThat(tc.countText("hello world")).isEqualTo(2);
    }
}
