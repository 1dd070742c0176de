package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Chunks are parsed for the members the translator reads only; malformed JSON anywhere still fails the stream. */
class ChunkParsingTest {

    static List<String> types(String... chunks) {
        List<String> types = new ArrayList<>();
        StreamTranslator t = new StreamTranslator(
                (type, json) -> types.add(type), "m", null, List.of(), OpenAiDialect.defaults(), "msg_1", 1);
        for (String c : chunks) {
            t.onData(c);
        }
        t.onUpstreamEnd();
        return types;
    }

    static final String OK =
            "{\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"obfuscation\":\"abc\","
                    + "\"meta\":{\"deep\":[1,{\"a\":null}]},\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}";
    static final String END = "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}";

    @Test
    void skippedMembersDoNotChangeTheResult() {
        assertThat(types(OK, END, "[DONE]"))
                .containsExactly(
                        "message_start",
                        "content_block_start",
                        "content_block_delta",
                        "content_block_stop",
                        "message_delta",
                        "message_stop");
    }

    @Test
    void malformedJsonInASkippedMemberStillFails() {
        assertThat(types("{\"id\":tru,\"choices\":[]}")).containsExactly("error");
        assertThat(types("{\"meta\":{\"a\":[1,}},\"choices\":[]}")).containsExactly("error");
        assertThat(types("{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]"))
                .containsExactly("error");
        assertThat(types("[1,2]")).containsExactly("error");
        assertThat(types("\"str\"")).containsExactly("error");
    }

    @Test
    void bytesThatAreNotUtf8ReadAsReplacementCharactersNotAsABrokenStream() {
        List<String> events = new ArrayList<>();
        StreamTranslator t = new StreamTranslator(
                (type, json) -> events.add(type + " " + json),
                "m",
                null,
                List.of(),
                OpenAiDialect.defaults(),
                "msg_1",
                1);
        byte[] chunk = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a?b\"}}]}".getBytes(StandardCharsets.UTF_8);
        chunk[new String(chunk, StandardCharsets.UTF_8).indexOf('?')] = (byte) 0xFF;
        t.onData(chunk, 0, chunk.length);
        byte[] end = (" \n" + END + "\t").getBytes(StandardCharsets.UTF_8);
        t.onData(end, 0, end.length);
        byte[] done = "  [DONE] ".getBytes(StandardCharsets.UTF_8);
        t.onData(done, 0, done.length);
        assertThat(events)
                .anySatisfy(e -> assertThat(e).startsWith("content_block_delta").contains("a\uFFFDb"));
        assertThat(events).last().asString().startsWith("message_stop");
        assertThat(events).noneMatch(e -> e.startsWith("error"));
    }

    @Test
    void onlyTheGivenSliceOfTheBytesIsRead() {
        byte[] framed = ("xx" + OK + "yy").getBytes(StandardCharsets.UTF_8);
        List<String> types = new ArrayList<>();
        StreamTranslator t = new StreamTranslator(
                (type, json) -> types.add(type), "m", null, List.of(), OpenAiDialect.defaults(), "msg_1", 1);
        t.onData(framed, 2, framed.length - 4);
        t.onData("   ");
        assertThat(types).containsExactly("message_start", "content_block_start", "content_block_delta");
    }

    @Test
    void errorAndUsageMembersAreRead() {
        assertThat(types("{\"id\":\"x\",\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}"))
                .containsExactly("error");
        List<String> withUsage =
                types(OK, END, "{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}");
        assertThat(withUsage).endsWith("message_delta", "message_stop");
    }
}
