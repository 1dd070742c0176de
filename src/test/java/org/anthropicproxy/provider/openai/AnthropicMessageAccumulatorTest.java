package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AnthropicMessageAccumulatorTest {

    static String delta(int i, String type, String field, String v) {
        return "{\"type\":\"content_block_delta\",\"index\":" + i + ",\"delta\":{\"type\":\"" + type + "\",\"" + field
                + "\":\"" + v + "\"}}";
    }

    @Test
    void manyDeltasAppendInOrderAndPartialReadsSeeTheTextSoFar() {
        AnthropicMessageAccumulator acc = new AnthropicMessageAccumulator();
        acc.event(
                "message_start",
                "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}");
        acc.event(
                "content_block_start",
                "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}");
        acc.event("content_block_delta", delta(0, "thinking_delta", "thinking", "hm"));
        acc.event("content_block_delta", delta(0, "signature_delta", "signature", "sig"));
        acc.event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
        acc.event(
                "content_block_start",
                "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            acc.event("content_block_delta", delta(1, "text_delta", "text", "w" + i + " "));
            expected.append("w").append(i).append(' ');
            if (i == 10) {
                assertThat(acc.message().path("content").get(1).path("text").asText())
                        .isEqualTo(expected.toString());
            }
        }
        acc.event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}");
        acc.event(
                "message_delta",
                "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":9}}");
        acc.event("message_stop", "{\"type\":\"message_stop\"}");
        assertThat(acc.message().path("content").get(0).toString())
                .isEqualTo("{\"type\":\"thinking\",\"thinking\":\"hm\",\"signature\":\"sig\"}");
        assertThat(acc.message().path("content").get(1).path("text").asText()).isEqualTo(expected.toString());
        assertThat(acc.complete()).isTrue();
    }
}
