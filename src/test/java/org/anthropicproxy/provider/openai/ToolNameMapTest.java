package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ToolNameMapTest {

    static String sha(String s) throws Exception {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void memoizedHashIsTheDigestAndStaysBounded() throws Exception {
        for (int i = 0; i < 3 * ToolNameMap.HASH_MEMO_ENTRIES; i++) {
            String name = "mcp__server_" + i + "__" + "x".repeat(i % 70) + "é";
            assertThat(ToolNameMap.sha256Hex(name)).isEqualTo(sha(name));
            assertThat(ToolNameMap.sha256Hex(name)).isEqualTo(sha(name)); // from the memo
            assertThat(ToolNameMap.hashMemoSize()).isLessThanOrEqualTo(ToolNameMap.HASH_MEMO_ENTRIES);
        }
        String huge = "y".repeat(10_000);
        assertThat(ToolNameMap.sha256Hex(huge)).isEqualTo(sha(huge));
    }

    @Test
    void longNamesStillMapTheSameWay() throws Exception {
        String longName = "mcp__" + "n".repeat(80);
        ToolNameMap a = new ToolNameMap(64);
        String up = a.toUpstream(longName);
        assertThat(up)
                .hasSize(64)
                .isEqualTo(longName.substring(0, 55) + "_" + sha(longName).substring(0, 8));
        assertThat(new ToolNameMap(64).toUpstream(longName)).isEqualTo(up);
        assertThat(a.toClient(up)).isEqualTo(longName);
    }
}
