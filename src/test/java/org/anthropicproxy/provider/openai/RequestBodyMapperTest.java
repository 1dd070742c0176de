package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.json.MessagesRequestScan;
import org.anthropicproxy.testkit.Fixtures;
import org.junit.jupiter.api.Test;

class RequestBodyMapperTest {

    private static RequestBodyMapper.Mapped map(RequestBodyMapper m, byte[] body) throws Exception {
        return m.map(body, MessagesRequestScan.scan(body, true), "up");
    }

    @Test
    void aSecondTurnWithTheSameToolsGivesTheFirstTurnsBytesAndCounts() throws Exception {
        byte[] body = Fixtures.bytes(RequestMapperTest.CC);
        RequestBodyMapper m = new RequestBodyMapper(OpenAiDialect.defaults());
        RequestBodyMapper.Mapped first = map(m, body);
        RequestBodyMapper.Mapped second = map(m, body);
        assertThat(first.request().get("tools").isArray()).isTrue();
        assertThat(second.request().get("tools").isNull())
                .as("the list was not parsed again")
                .isTrue();
        assertThat(second.mapped().bytes()).isEqualTo(first.mapped().bytes());
        assertThat(first.mapped().bytes())
                .isEqualTo(Json.bytes(new RequestMapper(OpenAiDialect.defaults())
                        .map((ObjectNode) Json.MAPPER.readTree(body), "up")
                        .body()));
        assertThat(second.mapped().notes()).isEqualTo(first.mapped().notes());
        assertThat(second.quickInputEstimate())
                .isEqualTo(first.quickInputEstimate())
                .isPositive();
        assertThat(second.inputTokens(body)).isEqualTo(first.inputTokens(body)).isPositive();
    }

    @Test
    void aListTooLargeToKeepIsMappedEveryTime() throws Exception {
        ObjectNode req = Fixtures.object(RequestMapperTest.CC);
        ((ObjectNode) ((ArrayNode) req.get("tools")).get(0))
                .put("description", "d".repeat(ToolListMemo.MAX_LIST_BYTES));
        byte[] body = Json.bytes(req);
        RequestBodyMapper m = new RequestBodyMapper(OpenAiDialect.defaults());
        RequestBodyMapper.Mapped first = map(m, body);
        RequestBodyMapper.Mapped second = map(m, body);
        assertThat(second.request().get("tools").isArray())
                .as("the list was parsed again")
                .isTrue();
        assertThat(second.mapped().bytes()).isEqualTo(first.mapped().bytes());
        assertThat(second.mapped()
                        .body()
                        .path("tools")
                        .get(0)
                        .path("function")
                        .path("description")
                        .asText())
                .hasSize(ToolListMemo.MAX_LIST_BYTES);
    }
}
