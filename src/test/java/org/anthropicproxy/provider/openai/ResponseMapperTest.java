package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.anthropicproxy.testkit.Fixtures;
import org.junit.jupiter.api.Test;

class ResponseMapperTest {

    final ResponseMapper mapper = new ResponseMapper(OpenAiDialect.defaults());

    ObjectNode map(JsonNode c, List<String> stops) {
        return mapper.toAnthropic(c, "claude-x", ToolNameMap.identity(), stops);
    }

    static JsonNode json(String s) throws Exception {
        return new ObjectMapper().readTree(s);
    }

    @Test
    void text() {
        ObjectNode m = map(Fixtures.json("openai/chat-completion-text.json"), List.of());
        assertThat(m.path("id").asText()).isEqualTo("msg_chatcmpl-D8Z5f52zQqikDBEKQMQoYcWMcWPeU");
        assertThat(m.path("model").asText()).isEqualTo("claude-x");
        assertThat(m.path("content")).hasSize(1);
        assertThat(m.path("content").get(0).path("text").asText()).startsWith("**Holiday Name:** Galaxy Day");
        assertThat(m.path("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(m.path("usage").toString())
                .isEqualTo(
                        "{\"input_tokens\":16,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":363}");
    }

    @Test
    void parallelToolCalls() {
        ObjectNode m = map(Fixtures.json("openai/chat-completion-parallel-tool-calls.json"), List.of());
        assertThat(m.path("content")).hasSize(2);
        assertThat(m.path("content").get(0).toString())
                .isEqualTo(
                        "{\"type\":\"tool_use\",\"id\":\"call_fdNz3vOBKYgOIpMdWotB9MjY\",\"name\":\"GetWeatherArgs\",\"input\":{\"city\":\"Edinburgh\",\"country\":\"GB\",\"units\":\"c\"}}");
        assertThat(m.path("content").get(1).path("input").path("ticker").asText())
                .isEqualTo("AAPL");
        assertThat(m.path("stop_reason").asText()).isEqualTo("tool_use");
    }

    @Test
    void deepseekReasoningAndToolCall() {
        ObjectNode m = map(Fixtures.json("vendors/deepseek-chat-completion-reasoning-tool-call.json"), List.of());
        assertThat(m.path("content")).extracting(n -> n.path("type").asText()).containsExactly("thinking", "tool_use");
        assertThat(m.path("content").get(0).path("signature").asText()).isEmpty();
        assertThat(m.path("content").get(0).path("thinking").asText()).startsWith("The user is asking");
        assertThat(m.path("usage").path("input_tokens").asLong()).isEqualTo(19);
        assertThat(m.path("usage").path("cache_read_input_tokens").asLong()).isEqualTo(320);
        assertThat(m.path("usage").path("output_tokens").asLong()).isEqualTo(92);
    }

    @Test
    void stopSequenceLengthRefusalConcatenatedAndInvalidArguments() throws Exception {
        ObjectNode m = map(
                json(
                        "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"abc END tail\"},\"finish_reason\":\"stop\"}]}"),
                List.of("END"));
        assertThat(m.path("content").get(0).path("text").asText()).isEqualTo("abc ");
        assertThat(m.path("stop_sequence").asText()).isEqualTo("END");
        m = map(
                json("{\"id\":\"x\",\"choices\":[{\"message\":{\"refusal\":\"no\"},\"finish_reason\":\"stop\"}]}"),
                List.of());
        assertThat(m.path("stop_reason").asText()).isEqualTo("refusal");
        m = map(
                json(
                        "{\"id\":\"x\",\"choices\":[{\"message\":{\"tool_calls\":[{\"id\":\"c\",\"function\":{\"name\":\"R\",\"arguments\":\"{\\\"a\\\":1}{\\\"a\\\":2}\"}}]},\"finish_reason\":\"tool_calls\"}]}"),
                List.of());
        assertThat(m.path("content").get(0).path("input").toString()).isEqualTo("{\"a\":1}");
        m = map(
                json(
                        "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"t\",\"tool_calls\":[{\"id\":\"c\",\"function\":{\"name\":\"R\",\"arguments\":\"{\\\"a\\\":\"}}]},\"finish_reason\":\"length\"}]}"),
                List.of());
        assertThat(m.path("content")).hasSize(1);
        assertThat(m.path("stop_reason").asText()).isEqualTo("max_tokens");
        JsonNode bad = json(
                "{\"id\":\"x\",\"choices\":[{\"message\":{\"tool_calls\":[{\"id\":\"c\",\"function\":{\"name\":\"R\",\"arguments\":\"{\\\"a\\\":\"}}]},\"finish_reason\":\"tool_calls\"}]}");
        assertThatThrownBy(() -> map(bad, List.of())).isInstanceOf(UpstreamProtocolException.class);
    }
}
