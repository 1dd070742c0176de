package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonTextTest {

    @Test
    void jsonTextQuotesLikeJackson() {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0x100; c++) {
            all.append(c);
        }
        all.append("\u2028\u2029😀日本\uffff/<>&'");
        for (String s : new String[] {
            "", "plain", "a\"b\\c", all.toString(), "\u0000end", "lone \ud800 surrogate \udc00", "tab\tnl\ncr\r"
        }) {
            String jackson = JsonNodeFactory.instance.objectNode().put("t", s).toString();
            assertThat("{\"t\":" + JsonText.quote(new StringBuilder(), s) + "}").isEqualTo(jackson);
        }
    }

    @Test
    void translatorEventsAreWhatTheTreeWouldWrite() {
        String text = "a \"quoted\" \\ line\nnext\ttab \u0001 日本 😀 </script>";
        List<String> events = new ArrayList<>();
        StreamTranslator t = new StreamTranslator(
                (type, json) -> events.add(type + " " + json),
                "m",
                null,
                List.of(),
                OpenAiDialect.defaults(),
                "msg_1",
                3);
        ObjectNode chunk = JsonNodeFactory.instance.objectNode();
        chunk.putArray("choices").addObject().put("index", 0).putObject("delta").put("content", text);
        t.onData(chunk.toString());
        t.onData("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");
        t.onData("[DONE]");
        ObjectNode delta = JsonNodeFactory.instance
                .objectNode()
                .put("type", "content_block_delta")
                .put("index", 0);
        delta.putObject("delta").put("type", "text_delta").put("text", text);
        ObjectNode stop = JsonNodeFactory.instance
                .objectNode()
                .put("type", "content_block_stop")
                .put("index", 0);
        assertThat(events).contains("content_block_delta " + delta, "content_block_stop " + stop);
    }

    @Test
    void treesWriteLikeJackson() throws Exception {
        ObjectMapper om = new ObjectMapper();
        for (String json : new String[] {
            "{}",
            "[]",
            "{\"a\":{\"b\":[1,-2,3000000000,12345678901234567890123,true,false,null]}}",
            "{\"s\":\"x\\n\\u0001\\\"y\",\"\\t\":\"\"}",
            "{\"f\":1.5,\"e\":1e10,\"z\":-0.0}",
            "[[[]],{}]",
            "\"str\"",
            "7"
        }) {
            JsonNode n = om.readTree(json);
            assertThat(JsonText.write(n)).as(json).isEqualTo(n.toString());
        }
        // every tool_use input of the Claude Code fixture
        JsonNode req = org.anthropicproxy.testkit.Fixtures.json("synthetic/anthropic-request-claude-code-like.json");
        int seen = 0;
        for (JsonNode m : req.path("messages")) {
            for (JsonNode b : m.path("content")) {
                if (b.has("input")) {
                    assertThat(JsonText.write(b.get("input")))
                            .isEqualTo(b.get("input").toString());
                    seen++;
                }
            }
        }
        for (JsonNode t : req.path("tools")) {
            if (!t.has("input_schema")) {
                continue;
            }
            assertThat(JsonText.write(t.get("input_schema")))
                    .isEqualTo(t.get("input_schema").toString());
            seen++;
        }
        assertThat(seen).isGreaterThan(3);
    }
}
