package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.testkit.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * A tool list mapped once and reused ({@link RequestMapper#mapToolList}, {@link MappedRequest#bytes}) must give what
 * mapping the whole request gives: the same body bytes, notes, tool names — or the same refusal.
 */
class ToolListReuseTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LONG =
            "mcp__server__a_tool_whose_name_is_much_longer_than_any_upstream_allows_for_names";
    private static final String[] TOOLS = {
        "{'name':'Read','description':'Read a file.','input_schema':{'type':'object','properties':{'p':{'type':'string','format':'uri'}},"
                + "'$schema':'https://json-schema.org/draft/2020-12/schema','additionalProperties':false}}",
        "{'name':'" + LONG + "','input_schema':{'type':'object','properties':{}}}",
        "{'name':'DeferredToolPlaceholder','defer_loading':true,'input_schema':{}}",
        "{'name':'Strict','strict':true,'input_examples':[{}],'input_schema':{'type':'object'}}",
        "{'name':'Cached','cache_control':{'type':'ephemeral'},'input_schema':{'type':'object'}}",
        "{'type':'web_search_20250305','name':'web_search','max_uses':5}",
        "{'name':'NoSchema'}",
        "{'name':'BadSchema','input_schema':'x'}",
        "{'type':'custom','name':'Custom','description':null,'eager_input_streaming':true}",
    };
    private static final String[] CHOICES = {
        null,
        "{'type':'auto'}",
        "{'type':'any','disable_parallel_tool_use':true}",
        "{'type':'none'}",
        "{'type':'tool','name':'Read'}",
        "{'type':'tool','name':'" + LONG + "'}",
        "{'type':'tool','name':'web_search'}",
        "{'type':'tool','name':'Unknown'}"
    };
    private static final OpenAiDialect[] DIALECTS = {
        OpenAiDialect.defaults(),
        OpenAiDialect.codebuddy(),
        new OpenAiDialect(
                false,
                "max_completion_tokens",
                Map.of(),
                ReasoningStyle.REASONING_EFFORT,
                false,
                true,
                true,
                false,
                Map.of(),
                16,
                4)
    };

    @Property(tries = 2000)
    void aReusedToolListMapsAsTheWholeRequest(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        ObjectNode in = request(r);
        RequestMapper mapper = new RequestMapper(DIALECTS[r.nextInt(DIALECTS.length)]);
        String whole = outcome(() -> mapper.map(in.deepCopy(), "up"));
        MappedTools tools = mapper.mapToolList(in.get("tools"));
        for (int i = 0; i < 2; i++) { // the same MappedTools serves any number of requests
            ObjectNode withoutTools = in.deepCopy();
            if (withoutTools.has("tools")) {
                withoutTools.putNull("tools");
            }
            assertThat(outcome(() -> mapper.map(withoutTools, "up", tools)))
                    .as(in.toString())
                    .isEqualTo(whole);
        }
    }

    @Test
    void theClaudeCodeLikeRequestToo() throws Exception {
        ObjectNode in = Fixtures.object(RequestMapperTest.CC);
        RequestMapper mapper = new RequestMapper(OpenAiDialect.defaults());
        MappedRequest whole = mapper.map(in.deepCopy(), "up");
        ObjectNode withoutTools = in.deepCopy().putNull("tools");
        MappedRequest reused = mapper.map(withoutTools, "up", mapper.mapToolList(in.get("tools")));
        assertThat(new String(reused.bytes(), StandardCharsets.UTF_8))
                .isEqualTo(new String(Json.bytes(whole.body()), StandardCharsets.UTF_8));
        assertThat(reused.bytes()).isEqualTo(whole.bytes());
        assertThat(reused.body().path("tools")).hasSize(3);
    }

    /** Everything a mapping shows: the bytes sent, the notes, the shortened names; or the refusal. */
    private static String outcome(Callable<MappedRequest> map) throws Exception {
        MappedRequest m;
        try {
            m = map.call();
        } catch (UnsupportedFeatureException e) {
            return "refused: " + e.getMessage();
        }
        String bytes = new String(m.bytes(), StandardCharsets.UTF_8);
        assertThat(bytes).isEqualTo(new String(Json.bytes(m.body()), StandardCharsets.UTF_8));
        return bytes + "\n" + m.notes() + "\n" + m.toolNames().shortened() + "\n"
                + m.toolNames().toClient(m.toolNames().toUpstream(LONG));
    }

    private static ObjectNode request(Random r) throws Exception {
        ObjectNode in = JSON.createObjectNode().put("model", "claude-x").put("max_tokens", 100);
        if (r.nextBoolean()) {
            in.put("stream", true);
        }
        in.putArray("system")
                .addObject()
                .put("type", "text")
                .put("text", "sys")
                .putObject("cache_control")
                .put("type", "ephemeral");
        List<String> pool = new ArrayList<>(List.of(TOOLS));
        Collections.shuffle(pool, r);
        int n = r.nextInt(7);
        if (n > 0 || r.nextBoolean()) {
            in.set("tools", JSON.readTree(("[" + String.join(",", pool.subList(0, n)) + "]").replace('\'', '"')));
        }
        String choice = CHOICES[r.nextInt(CHOICES.length)];
        if (choice != null) {
            in.set("tool_choice", JSON.readTree(choice.replace('\'', '"')));
        }
        String messages = """
                [{'role':'user','content':[{'type':'text','text':'go','cache_control':{'type':'ephemeral'}}]},
                 {'role':'assistant','content':[{'type':'tool_use','id':'t1','name':'%s','input':{}}]},
                 {'role':'user','content':[{'type':'tool_result','tool_use_id':'t1','content':'ok'}]}]
                """.formatted(r.nextBoolean() ? LONG : "Read");
        JsonNode m = JSON.readTree(messages.replace('\'', '"'));
        in.set("messages", r.nextBoolean() ? m : JSON.readTree("[{\"role\":\"user\",\"content\":\"hi\"}]"));
        return in;
    }
}
