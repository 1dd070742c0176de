package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.anthropicproxy.json.MessagesRequestScan;
import org.junit.jupiter.api.Test;

class ToolListMemoTest {

    private static final ToolListMemo.Entry ENTRY =
            new ToolListMemo.Entry(new RequestMapper(OpenAiDialect.defaults()).mapToolList(null), 0);

    private static BytesKey key(String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return ToolListMemo.key(b, new MessagesRequestScan.Span(0, b.length));
    }

    @Test
    void findsAListByItsBytesWhereverItSitsInTheBody() {
        ToolListMemo memo = new ToolListMemo();
        memo.put(key("[{\"name\":\"a\"}]"), ENTRY);
        byte[] other = "{\"tools\":[{\"name\":\"a\"}],\"x\":1}".getBytes(StandardCharsets.UTF_8);
        assertThat(memo.get(ToolListMemo.key(other, new MessagesRequestScan.Span(9, 23))))
                .isSameAs(ENTRY);
        assertThat(memo.get(key("[{\"name\":\"b\"}]"))).isNull();
        assertThat(memo.get(key("[{\"name\": \"a\"}]")))
                .as("other bytes, same JSON: a miss, mapped again")
                .isNull();
    }

    @Test
    void isBoundedInEntriesAndKeepsNoHugeList() {
        ToolListMemo memo = new ToolListMemo();
        for (int i = 0; i < ToolListMemo.ENTRIES; i++) {
            memo.put(key("[" + i + "]"), ENTRY);
        }
        assertThat(memo.get(key("[0]"))).isSameAs(ENTRY);
        memo.put(key("[\"one more\"]"), ENTRY);
        assertThat(memo.get(key("[0]"))).as("cleared when full").isNull();
        assertThat(memo.get(key("[\"one more\"]"))).isSameAs(ENTRY);
        String huge = "[\"" + "x".repeat(ToolListMemo.MAX_LIST_BYTES) + "\"]";
        assertThat(key(huge)).isNull();
    }
}
