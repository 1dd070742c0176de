package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.json.MessagesRequestScan;
import org.anthropicproxy.testkit.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * A conversation's turns through one {@link RequestBodyMapper}, whose {@link PartMemo} replays the system value and
 * the messages it saw in earlier turns, must each map exactly as the whole request mapped on its own: the same body
 * bytes, notes, tool names, stop sequences and quick input estimate, or the same refusal.
 */
class PartReuseTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LONG =
            "mcp__server__a_tool_whose_name_is_much_longer_than_any_upstream_allows_for_names";
    private static final String PNG =
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    private static final String CC = "{'cache_control':{'type':'ephemeral'}}";
    private static final String[] SYSTEMS = {
        null,
        "'You are Claude Code, an interactive CLI tool.'",
        "''",
        "[{'type':'text','text':'x-anthropic-billing-header: cc_version=2.1; cc_entrypoint=cli; cch=0a1b2;'},"
                + "{'type':'text','text':'You are Claude Code, Anthropic\\u0027s official CLI for Claude.','cache_control':{'type':'ephemeral'}}]",
        "[{'type':'image','source':{'type':'base64','media_type':'image/png','data':'" + PNG
                + "'}},{'type':'text','text':'  '}]"
    };
    /** User content blocks; some carry a cache_control marker that later turns move, as Claude Code does. */
    private static final String[] USER_BLOCKS = {
        "{'type':'text','text':'go on'}",
        "{'type':'text','text':'look at this','cache_control':{'type':'ephemeral'}}",
        "{'type':'text','text':' '}",
        "{'type':'image','source':{'type':'base64','media_type':'image/png','data':'" + PNG + "'}}",
        "{'type':'image','source':{'type':'url','url':'https://example.com/a.png'}}",
        "{'type':'document','source':{'type':'text','media_type':'text/plain','data':'notes'},'title':'N','citations':{'enabled':true}}",
        "{'type':'search_result','source':'https://s','title':'T','content':[{'type':'text','text':'found'}]}",
        "{'type':'thinking','thinking':'hm','signature':'s'}",
        "{'type':'tool_result','tool_use_id':'t1','content':'ok'}",
        "{'type':'tool_result','tool_use_id':'t2','is_error':true,'content':[{'type':'text','text':'no such file'}],'cache_control':{'type':'ephemeral'}}",
        "{'type':'tool_result','tool_use_id':'t3','content':[{'type':'text','text':'shot'},{'type':'image','source':{'type':'base64','media_type':'image/png','data':'"
                + PNG + "'}},{'type':'tool_reference','tool_name':'Read'}]}",
        "{'type':'server_tool_use','id':'s1','name':'web_search','input':{}}",
    };

    private static final String[] ASSISTANT_BLOCKS = {
        "{'type':'text','text':'Let me check.'}",
        "{'type':'text','text':''}",
        "{'type':'thinking','thinking':'The user wants the file.','signature':'sig'}",
        "{'type':'redacted_thinking','data':'opaque'}",
        "{'type':'tool_use','id':'t1','name':'Read','input':{'path':'/a'}}",
        "{'type':'tool_use','id':'t2','name':'" + LONG + "','input':{}}",
        "{'type':'tool_use','id':'t3','name':'Bash'}",
        "{'type':'web_search_tool_result','tool_use_id':'s1','content':[]}",
    };
    /** Rare: content a dialect refuses, and a role no dialect takes. */
    private static final String[] REFUSED = {
        "{'role':'user','content':[{'type':'image','source':{'type':'file','file_id':'f1'}}]}",
        "{'role':'tool','content':'x'}",
    };

    private static final OpenAiDialect[] DIALECTS = {
        OpenAiDialect.defaults(),
        OpenAiDialect.codebuddy(),
        new OpenAiDialect(
                false,
                "max_completion_tokens",
                Map.of(),
                ReasoningStyle.REASONING_EFFORT,
                true,
                true,
                true,
                true,
                Map.of("Claude Code", "the CLI"),
                16,
                4)
    };

    @Property(tries = 300)
    void everyTurnOfAConversationMapsAsTheWholeRequest(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        OpenAiDialect dialect = DIALECTS[r.nextInt(DIALECTS.length)];
        RequestBodyMapper bodies = new RequestBodyMapper(dialect);
        RequestMapper whole = new RequestMapper(dialect);
        String system = SYSTEMS[r.nextInt(SYSTEMS.length)];
        List<JsonNode> conversation = new ArrayList<>();
        int turns = 1 + r.nextInt(6);
        for (int t = 0; t < turns; t++) {
            conversation.add(message(r, "user"));
            if (t < turns - 1 || r.nextInt(4) == 0) { // sometimes the request ends on an assistant message (prefill)
                conversation.add(message(r, "assistant"));
            }
            if (r.nextInt(3) == 0 && conversation.size() > 1) { // Claude Code moves its cache marker to the newest turn
                dropCacheControl(conversation.get(r.nextInt(conversation.size() - 1)));
            }
            ObjectNode in = request(r, system, conversation);
            byte[] body = JSON.writeValueAsBytes(in);
            for (int again = 0; again < 1 + r.nextInt(2); again++) { // a retry sends the same body
                assertThat(outcome(bodies, body)).as(in.toString()).isEqualTo(outcome(whole, in));
            }
        }
    }

    @Test
    void aPartIsKeptTheSecondTimeItIsMappedAndReplayedFromTheThird() throws Exception {
        byte[] body = Fixtures.bytes(RequestMapperTest.CC);
        RequestBodyMapper m = new RequestBodyMapper(OpenAiDialect.defaults());
        ObjectNode in = (ObjectNode) Json.MAPPER.readTree(body);
        int parts = 1 + in.get("messages").size();
        String expected = outcome(new RequestMapper(OpenAiDialect.defaults()), in);
        for (int turn = 1; turn <= 4; turn++) {
            RequestBodyMapper.Mapped mapped = m.map(body, MessagesRequestScan.scan(body, true), "up");
            assertThat(mapped.partsReused()).as("turn %d", turn).isEqualTo(turn <= 2 ? 0 : parts);
            assertThat(mapped.request().get("system").isNull())
                    .as("turn %d: system not parsed", turn)
                    .isEqualTo(turn > 2);
            assertThat(shown(mapped.mapped()) + "\nestimate " + mapped.quickInputEstimate())
                    .isEqualTo(expected);
        }
    }

    @Test
    void whatIsSentOnceIsNotKept() throws Exception {
        RequestBodyMapper m = new RequestBodyMapper(OpenAiDialect.defaults());
        for (int i = 0; i < 200; i++) {
            map(m, "a message sent once, " + i);
        }
        assertThat(m.memoWeight()).isZero();
        map(m, "a message sent twice");
        map(m, "a message sent twice");
        assertThat(m.memoWeight()).isPositive();
        assertThat(map(m, "a message sent twice").partsReused()).isEqualTo(1);
    }

    @Test
    void theMemoStaysWithinItsBoundWhateverIsSent() throws Exception {
        RequestBodyMapper m = new RequestBodyMapper(OpenAiDialect.defaults());
        String text = "x".repeat(100_000);
        for (int i = 0; i < 500; i++) { // 50 MB of distinct messages, each sent twice so that it is kept
            map(m, i + text);
            map(m, i + text);
        }
        assertThat(m.memoWeight()).isPositive().isLessThanOrEqualTo(2 * PartMemo.GENERATION_WEIGHT + 2 * 500_000);
    }

    private static RequestBodyMapper.Mapped map(RequestBodyMapper m, String userText) throws Exception {
        ObjectNode in = JSON.createObjectNode().put("model", "m").put("max_tokens", 1);
        in.putArray("messages").addObject().put("role", "user").put("content", userText);
        byte[] body = JSON.writeValueAsBytes(in);
        return m.map(body, MessagesRequestScan.scan(body, true), "up");
    }

    /** Everything a mapping shows: bytes, notes, names, stops and the quick estimate; or the refusal. */
    private static String outcome(RequestBodyMapper m, byte[] body) throws Exception {
        RequestBodyMapper.Mapped mapped;
        try {
            mapped = m.map(body, MessagesRequestScan.scan(body, true), "up");
        } catch (UnsupportedFeatureException e) {
            return "refused: " + e.getMessage();
        }
        return shown(mapped.mapped()) + "\nestimate " + mapped.quickInputEstimate();
    }

    private static String outcome(RequestMapper m, ObjectNode in) {
        try {
            return shown(m.map(in.deepCopy(), "up")) + "\nestimate "
                    + TokenCounter.quick().countRequest(in);
        } catch (UnsupportedFeatureException e) {
            return "refused: " + e.getMessage();
        }
    }

    private static String shown(MappedRequest m) {
        return new String(m.bytes(), StandardCharsets.UTF_8) + "\n" + m.notes() + "\n"
                + m.toolNames().shortened() + "\n" + m.stopSequences() + "\n" + m.upstreamStreams();
    }

    private static JsonNode message(Random r, String role) throws Exception {
        if (r.nextInt(40) == 0) {
            return read(REFUSED[r.nextInt(REFUSED.length)]);
        }
        if (r.nextInt(8) == 0) {
            return r.nextBoolean()
                    ? read("{'role':'" + role + "','content':'" + (r.nextInt(5) == 0 ? "" : "plain " + r.nextInt(3))
                            + "'}")
                    : read("{'role':'system','content':"
                            + (r.nextBoolean() ? "'env: /work'" : "[{'type':'text','text':''}]") + "}");
        }
        String[] pool = role.equals("user") ? USER_BLOCKS : ASSISTANT_BLOCKS;
        ObjectNode m = JSON.createObjectNode().put("role", role);
        ArrayNode content = m.putArray("content");
        for (int i = r.nextInt(4); i >= 0; i--) {
            content.add(read(pool[r.nextInt(pool.length)]));
        }
        if (r.nextBoolean()) {
            ((ObjectNode) content.get(content.size() - 1)).setAll((ObjectNode) read(CC));
        }
        return m;
    }

    private static void dropCacheControl(JsonNode message) {
        for (JsonNode b : message.path("content")) {
            ((ObjectNode) b).remove("cache_control");
        }
    }

    private static ObjectNode request(Random r, String system, List<JsonNode> conversation) throws Exception {
        ObjectNode in = JSON.createObjectNode()
                .put("model", "claude-x")
                .put("max_tokens", 100)
                .put("stream", r.nextBoolean());
        if (system != null) {
            in.set("system", read(system));
        }
        if (r.nextBoolean()) {
            in.set(
                    "tools",
                    read("[{'name':'Read','input_schema':{'type':'object'}},{'name':'" + LONG
                            + "','input_schema':{'type':'object'}}]"));
        }
        if (r.nextInt(4) == 0) {
            in.set("stop_sequences", read("['END','STOP','HALT','QUIT','DONE']"));
        }
        ArrayNode messages = in.putArray("messages");
        conversation.forEach(m -> messages.add(m.deepCopy()));
        return in;
    }

    private static JsonNode read(String singleQuoted) throws Exception {
        return JSON.readTree(singleQuoted.replace('\'', '"'));
    }
}
