package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.anthropicproxy.testkit.Fixtures;
import org.junit.jupiter.api.Test;

class RequestMapperTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String CC = "synthetic/anthropic-request-claude-code-like.json";

    static ObjectNode req(String json) {
        try {
            return (ObjectNode) JSON.readTree(json.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static MappedRequest map(OpenAiDialect d, String json) {
        return new RequestMapper(d).map(req(json), "up-model");
    }

    static List<JsonNode> msgs(MappedRequest m) {
        List<JsonNode> out = new ArrayList<>();
        m.body().path("messages").forEach(out::add);
        return out;
    }

    @Test
    void claudeCodeLikeFixtureMapsEverythingOrNotesIt() {
        ObjectNode in = Fixtures.object(CC);
        MappedRequest m = new RequestMapper(OpenAiDialect.defaults()).map(in, "gpt-4.1");
        ObjectNode b = m.body();
        String notes = String.join("\n", m.notes());

        assertThat(b.path("model").asText()).isEqualTo("gpt-4.1");
        assertThat(b.path("max_tokens").asInt()).isEqualTo(32000);
        assertThat(b.path("stream").asBoolean()).isTrue();
        assertThat(b.path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(b.path("user").asText()).isEqualTo("user_2f9c_account__session_6b1e");
        assertThat(b.path("reasoning_effort").asText()).isEqualTo("medium"); // budget 10000
        assertThat(b.path("tool_choice").asText()).isEqualTo("auto");
        assertThat(b.has("parallel_tool_calls")).isFalse();
        // stop: 5 given, 4 sent, all kept locally
        assertThat(b.path("stop")).hasSize(4);
        assertThat(m.stopSequences()).hasSize(5);
        assertThat(notes).contains("stop_sequences: 5 given, 4 sent");
        // tools: 3 functions, web_search not a function, long name shortened
        assertThat(b.path("tools")).hasSize(3);
        List<String> toolNames = new ArrayList<>();
        b.path("tools")
                .forEach(t -> toolNames.add(t.path("function").path("name").asText()));
        assertThat(toolNames).doesNotContain("web_search").contains("Read", "Bash");
        String longName = "mcp__github__list_pull_requests_for_repository_with_extremely_long_name_x";
        String shortName = toolNames.get(2);
        assertThat(shortName).hasSize(64);
        assertThat(m.toolNames().toClient(shortName)).isEqualTo(longName);
        assertThat(notes).contains("server tool 'web_search'").contains("cache_control removed");
        // messages: system, user(text+image), assistant(text+2 calls), tool, tool, user(images + reminder)
        List<JsonNode> ms = msgs(m);
        assertThat(ms)
                .extracting(n -> n.path("role").asText())
                .containsExactly("system", "user", "assistant", "tool", "tool", "user");
        assertThat(ms.get(0).path("content").asText())
                .isEqualTo(
                        "You are Claude Code, Anthropic's official CLI for Claude.\n\nWorking directory: /repo\nPlatform: linux");
        JsonNode user = ms.get(1).path("content");
        assertThat(user.get(0).path("type").asText()).isEqualTo("text");
        assertThat(user.get(1).path("image_url").path("url").asText()).startsWith("data:image/png;base64,iVBOR");
        JsonNode asst = ms.get(2);
        assertThat(asst.path("content").asText()).isEqualTo("I'll read the README and list the directory.");
        assertThat(asst.has("reasoning_content")).isFalse();
        assertThat(notes).contains("thinking blocks in history dropped").contains("redacted_thinking");
        assertThat(asst.path("tool_calls").get(0).path("id").asText()).isEqualTo("toolu_01A09q90qw90lq917835lq9");
        assertThat(asst.path("tool_calls")
                        .get(0)
                        .path("function")
                        .path("arguments")
                        .asText())
                .isEqualTo("{\"file_path\":\"/repo/README.md\"}");
        assertThat(ms.get(3).path("tool_call_id").asText()).isEqualTo("toolu_01A09q90qw90lq917835lq9");
        assertThat(ms.get(3).path("content").asText()).isEqualTo("# Demo\nA tiny demo project.");
        assertThat(ms.get(4).path("content").asText()).startsWith(RequestMapper.TOOL_ERROR_PREFIX + "ls: cannot open");
        JsonNode after = ms.get(5).path("content");
        assertThat(after.get(0).path("text").asText()).contains("toolu_01A09q90qw90lq917835lq9");
        assertThat(after.get(1).path("image_url").path("url").asText())
                .isEqualTo("https://example.com/architecture.png");
        assertThat(after.get(2).path("text").asText())
                .isEqualTo("<system-reminder>Keep answers short.</system-reminder>");

        // nothing silently dropped: every top-level key is mapped or named in a note
        Map<String, String> mappedTo = Map.of(
                "model",
                "model",
                "max_tokens",
                "max_tokens",
                "stream",
                "stream",
                "system",
                "messages",
                "messages",
                "messages",
                "metadata",
                "user",
                "thinking",
                "reasoning_effort",
                "tool_choice",
                "tool_choice",
                "stop_sequences",
                "stop",
                "tools",
                "tools");
        for (Iterator<String> it = in.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            assertThat(b.has(mappedTo.getOrDefault(k, "?")) || notes.contains(k))
                    .as(k)
                    .isTrue();
        }
        // every block type appears in the output or in the notes
        for (String t : List.of("thinking", "redacted_thinking")) {
            assertThat(notes).contains(t);
        }
    }

    @Test
    void deepseekGetsReasoningContentBackOnToolTurns() {
        OpenAiDialect ds = new OpenAiDialect(
                false,
                "max_tokens",
                Map.of(),
                ReasoningStyle.THINKING_OBJECT,
                true,
                false,
                false,
                false,
                Map.of(),
                64,
                16);
        MappedRequest m = new RequestMapper(ds).map(Fixtures.object(CC), "deepseek-reasoner");
        JsonNode asst = msgs(m).get(2);
        assertThat(asst.path("reasoning_content").asText()).startsWith("The user wants the README");
        assertThat(m.body().path("thinking").path("type").asText()).isEqualTo("enabled");
        assertThat(m.body().has("reasoning_effort")).isFalse();
        assertThat(m.body().path("stop")).hasSize(5);
    }

    @Test
    void systemInsideMessagesKeepsItsPosition() {
        MappedRequest m = map(OpenAiDialect.defaults(), """
                {'model':'m','max_tokens':10,'system':'top','messages':[
                 {'role':'user','content':'hi'},
                 {'role':'system','content':[{'type':'text','text':'env: linux'}]},
                 {'role':'assistant','content':'hello'},
                 {'role':'user','content':'go'}]}""");
        assertThat(msgs(m))
                .extracting(
                        n -> n.path("role").asText() + ":" + n.path("content").asText())
                .containsExactly("system:top", "user:hi", "system:env: linux", "assistant:hello", "user:go");
    }

    @Test
    void longToolNameRoundTripsThroughHistoryAndChoice() {
        String name = "x".repeat(100);
        MappedRequest m = map(OpenAiDialect.defaults(), """
                {'model':'m','max_tokens':10,'tools':[{'name':'%s','input_schema':{'type':'object'}}],
                 'tool_choice':{'type':'tool','name':'%s','disable_parallel_tool_use':true},
                 'messages':[{'role':'user','content':'hi'},
                  {'role':'assistant','content':[{'type':'tool_use','id':'t1','name':'%s','input':{}}]},
                  {'role':'user','content':[{'type':'tool_result','tool_use_id':'t1','content':'ok'}]}]}""".formatted(name, name, name));
        String up = m.body().path("tools").get(0).path("function").path("name").asText();
        assertThat(up).hasSize(64).startsWith("x".repeat(55) + "_");
        assertThat(m.body().path("tool_choice").path("function").path("name").asText())
                .isEqualTo(up);
        assertThat(m.body().path("parallel_tool_calls").asBoolean(true)).isFalse();
        assertThat(msgs(m).get(1)
                        .path("tool_calls")
                        .get(0)
                        .path("function")
                        .path("name")
                        .asText())
                .isEqualTo(up);
        assertThat(m.toolNames().toClient(up)).isEqualTo(name);
        assertThat(m.toolNames().toClient("other")).isEqualTo("other");
    }

    @Test
    void toolChoiceVariants() {
        String base =
                "{'model':'m','max_tokens':10,'tools':[{'name':'a','input_schema':{'type':'object'}}],'tool_choice':%s,'messages':[{'role':'user','content':'x'}]}";
        assertThat(map(OpenAiDialect.defaults(), base.formatted("{'type':'any'}"))
                        .body()
                        .path("tool_choice")
                        .asText())
                .isEqualTo("required");
        assertThat(map(OpenAiDialect.defaults(), base.formatted("{'type':'none'}"))
                        .body()
                        .path("tool_choice")
                        .asText())
                .isEqualTo("none");
        assertThat(map(OpenAiDialect.defaults(), base.formatted("{'type':'auto','disable_parallel_tool_use':true}"))
                        .body()
                        .path("parallel_tool_calls")
                        .isBoolean())
                .isTrue();
    }

    @Test
    void toolResultWithImagesThenUserText() {
        MappedRequest m = map(OpenAiDialect.defaults(), """
                {'model':'m','max_tokens':10,'messages':[
                 {'role':'user','content':'hi'},
                 {'role':'assistant','content':[{'type':'tool_use','id':'a','name':'shot','input':{}},{'type':'tool_use','id':'b','name':'shot','input':{}}]},
                 {'role':'user','content':[
                   {'type':'tool_result','tool_use_id':'a','content':[{'type':'text','text':'one'},{'type':'image','source':{'type':'base64','media_type':'image/jpeg','data':'AAA'}}]},
                   {'type':'tool_result','tool_use_id':'b','content':[{'type':'text','text':'two'}]},
                   {'type':'text','text':'what now?'}]}]}""");
        List<JsonNode> ms = msgs(m);
        assertThat(ms)
                .extracting(n -> n.path("role").asText())
                .containsExactly("user", "assistant", "tool", "tool", "user");
        assertThat(ms.get(2).path("content").asText()).isEqualTo("one");
        assertThat(ms.get(3).path("content").asText()).isEqualTo("two");
        JsonNode last = ms.get(4).path("content");
        assertThat(last).hasSize(3);
        assertThat(last.get(1).path("image_url").path("url").asText()).isEqualTo("data:image/jpeg;base64,AAA");
        assertThat(last.get(2).path("text").asText()).isEqualTo("what now?");
    }

    @Test
    void codebuddyDialect() {
        ObjectNode in = Fixtures.object(CC);
        ((ObjectNode) in.path("system").get(0))
                .put(
                        "text",
                        "x-anthropic-billing-header: cc_version=2.1; cc_entrypoint=cli; cch=abcde;\nYou are Claude Code, Anthropic's official CLI for Claude.");
        in.put("stream", false);
        MappedRequest m = new RequestMapper(OpenAiDialect.codebuddy()).map(in, "claude-4.5");
        ObjectNode b = m.body();
        assertThat(b.path("stream").asBoolean()).isTrue();
        assertThat(b.path("reasoning_effort").asText()).isEqualTo("medium");
        assertThat(b.path("reasoning_summary").asText()).isEqualTo("auto");
        String sys = msgs(m).get(0).path("content").asText();
        assertThat(sys)
                .doesNotContain("billing")
                .doesNotContain("Claude Code")
                .startsWith("You are an AI coding assistant.");
        JsonNode readSchema = b.path("tools").get(0).path("function").path("parameters");
        assertThat(readSchema.has("$schema")).isFalse();
        assertThat(readSchema.has("additionalProperties")).isFalse();
        assertThat(readSchema.path("properties").has("file_path")).isTrue();
    }

    @Test
    void systemFirstInsertsPlaceholder() {
        MappedRequest m = map(
                OpenAiDialect.codebuddy(), "{'model':'m','max_tokens':10,'messages':[{'role':'user','content':'x'}]}");
        assertThat(msgs(m).get(0).path("role").asText()).isEqualTo("system");
        assertThat(m.notes()).anyMatch(n -> n.contains("placeholder"));
    }

    @Test
    void keepCacheControlKeepsParts() {
        OpenAiDialect d = new OpenAiDialect(
                false,
                "max_completion_tokens",
                Map.of("gpt-5*", 1000),
                ReasoningStyle.REASONING_EFFORT,
                false,
                false,
                true,
                false,
                Map.of(),
                64,
                4);
        MappedRequest m = new RequestMapper(d).map(Fixtures.object(CC), "gpt-5-mini");
        JsonNode sys = msgs(m).get(0).path("content");
        assertThat(sys.isArray()).isTrue();
        assertThat(sys.get(0).path("cache_control").path("type").asText()).isEqualTo("ephemeral");
        assertThat(m.body().path("max_completion_tokens").asInt()).isEqualTo(1000);
        assertThat(m.body().has("max_tokens")).isFalse();
        assertThat(msgs(m).get(4).path("content").get(0).has("cache_control")).isTrue();
    }

    @Test
    void thinkingStyles() {
        String r =
                "{'model':'m','max_tokens':40000,'thinking':%s,'output_config':{'effort':'max'},'messages':[{'role':'user','content':'x'}]}";
        OpenAiDialect q = new OpenAiDialect(
                false,
                "max_tokens",
                Map.of(),
                ReasoningStyle.ENABLE_THINKING,
                false,
                false,
                false,
                false,
                Map.of(),
                64,
                4);
        ObjectNode b =
                map(q, r.formatted("{'type':'enabled','budget_tokens':20000}")).body();
        assertThat(b.path("enable_thinking").asBoolean()).isTrue();
        assertThat(b.path("thinking_budget").asInt()).isEqualTo(20000);
        assertThat(map(OpenAiDialect.defaults(), r.formatted("{'type':'adaptive'}"))
                        .body()
                        .path("reasoning_effort")
                        .asText())
                .isEqualTo("high");
        assertThat(map(OpenAiDialect.defaults(), r.formatted("{'type':'enabled','budget_tokens':2048}"))
                        .body()
                        .path("reasoning_effort")
                        .asText())
                .isEqualTo("low");
        ObjectNode off = map(OpenAiDialect.defaults(), r.formatted("{'type':'disabled'}"))
                .body();
        assertThat(off.has("reasoning_effort")).isFalse();
        OpenAiDialect ds = new OpenAiDialect(
                false,
                "max_tokens",
                Map.of(),
                ReasoningStyle.THINKING_OBJECT,
                true,
                false,
                false,
                false,
                Map.of(),
                64,
                4);
        assertThat(map(ds, r.formatted("{'type':'disabled'}"))
                        .body()
                        .path("thinking")
                        .path("type")
                        .asText())
                .isEqualTo("disabled");
    }

    @Test
    void onlyServerToolsIsRejectedWithAnthropicWording() {
        assertThatThrownBy(
                        () -> map(
                                OpenAiDialect.defaults(),
                                "{'model':'m','max_tokens':10,'tools':[{'type':'web_search_20250305','name':'web_search'}],'messages':[{'role':'user','content':'x'}]}"))
                .isInstanceOf(UnsupportedFeatureException.class)
                .hasMessageContaining("does not match any of the expected tags");
    }

    @Test
    void unknownRoleRejectedWithDowngradeWording() {
        assertThatThrownBy(() -> map(
                        OpenAiDialect.defaults(),
                        "{'model':'m','max_tokens':10,'messages':[{'role':'tool','content':'x'}]}"))
                .hasMessageContaining("Input should be 'user' or 'assistant'");
    }

    @Test
    void documentsAndDeferredToolsAndMisc() {
        MappedRequest m = map(OpenAiDialect.defaults(), """
                {'model':'m','max_tokens':10,'top_k':5,'temperature':0.2,'top_p':0.9,'context_management':{'edits':[]},
                 'metadata':{'user_id':'%s'},
                 'tools':[{'name':'DeferredToolPlaceholder','defer_loading':true,'input_schema':{}},{'name':'a','input_schema':{'type':'object'},'strict':true}],
                 'messages':[{'role':'user','content':[
                   {'type':'document','source':{'type':'text','media_type':'text/plain','data':'hello doc'},'title':'T'},
                   {'type':'document','source':{'type':'base64','media_type':'application/pdf','data':'JVBER'}},
                   {'type':'text','text':'  '}]}]}""".formatted("u".repeat(100)));
        ObjectNode b = m.body();
        String notes = String.join("\n", m.notes());
        assertThat(notes)
                .contains("top_k")
                .contains("context_management")
                .contains("DeferredToolPlaceholder")
                .contains("strict")
                .contains("empty text block dropped");
        assertThat(b.path("temperature").asDouble()).isEqualTo(0.2);
        assertThat(b.path("top_p").asDouble()).isEqualTo(0.9);
        assertThat(b.path("user").asText()).hasSize(64).startsWith("u_");
        assertThat(b.path("tools")).hasSize(1);
        JsonNode parts = msgs(m).get(0).path("content");
        assertThat(parts.get(0).path("text").asText()).isEqualTo("T\n\nhello doc");
        assertThat(parts.get(1).path("file").path("file_data").asText()).isEqualTo("data:application/pdf;base64,JVBER");
        assertThatThrownBy(
                        () -> map(
                                OpenAiDialect.defaults(),
                                "{'model':'m','max_tokens':10,'messages':[{'role':'user','content':[{'type':'document','source':{'type':'url','url':'https://x/y.pdf'}}]}]}"))
                .isInstanceOf(UnsupportedFeatureException.class);
    }

    @Test
    void dialectFromMap() {
        OpenAiDialect d = OpenAiDialect.fromMap(
                Map.of(
                        "force_stream",
                        true,
                        "reasoning_style",
                        "thinking_object",
                        "max_tokens_clamp",
                        Map.of("*", 8192, "deepseek-*", 4096)),
                OpenAiDialect.defaults(),
                "providers.x");
        assertThat(d.forceStream()).isTrue();
        assertThat(d.reasoningStyle()).isEqualTo(ReasoningStyle.THINKING_OBJECT);
        assertThat(d.clampFor("deepseek-chat").getAsInt()).isEqualTo(4096);
        assertThat(d.clampFor("gpt").getAsInt()).isEqualTo(8192);
        assertThatThrownBy(() -> OpenAiDialect.fromMap(Map.of("bogus", 1), OpenAiDialect.defaults(), "providers.x"))
                .hasMessageContaining("bogus")
                .hasMessageContaining("providers.x");
        assertThatThrownBy(() ->
                        OpenAiDialect.fromMap(Map.of("force_stream", "yes"), OpenAiDialect.defaults(), "providers.y"))
                .hasMessageContaining("force_stream")
                .hasMessageContaining("providers.y");
    }
}
