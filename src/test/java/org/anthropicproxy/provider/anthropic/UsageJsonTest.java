package org.anthropicproxy.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.provider.Usage;
import org.junit.jupiter.api.Test;

/** The streaming usage reader against the tree lookups it replaced. */
class UsageJsonTest {

    @Test
    void readsTopLevelUsageAndSkipsTheRest() {
        String body =
                "{\"id\":\"msg_1\",\"content\":[{\"type\":\"text\",\"text\":\"hi {\\\"usage\\\":1}\",\"usage\":{\"input_tokens\":99}}],"
                        + "\"usage\":{\"input_tokens\":12,\"output_tokens\":34,\"cache_read_input_tokens\":5,"
                        + "\"cache_creation_input_tokens\":6,\"server_tool_use\":{\"web_search_requests\":1}}}";
        assertThat(UsageJson.answer(bytes(body)).usage()).isEqualTo(new Usage(12, 34, 5, 6));
    }

    @Test
    void noUsageIsNoneAndANonObjectIsNull() {
        assertThat(UsageJson.answer(bytes("{\"id\":\"x\"}")).usage()).isEqualTo(Usage.NONE);
        assertThat(UsageJson.answer(bytes("{\"usage\":null}")).usage()).isEqualTo(Usage.NONE);
        assertThat(UsageJson.answer(bytes("{\"usage\":{\"input_tokens\":1}} trailing"))
                        .usage())
                .isEqualTo(new Usage(1, 0, 0, 0));
        for (String bad :
                new String[] {"", "[]", "\"s\"", "<html>", "{\"usage\":{\"input_tokens\":1}", "{\"a\":tru}", "null"}) {
            assertThat(UsageJson.answer(bytes(bad)).usage()).as(bad).isNull();
        }
    }

    @Test
    void aSuccessEnvelopeIsToldByItsTopLevelType() {
        assertThat(UsageJson.answer(bytes("{\"type\":\"success\",\"data\":{\"id\":\"m\"}}"))
                        .envelope())
                .isTrue();
        assertThat(UsageJson.answer(bytes("{\"code\":0,\"data\":{},\"type\":\"success\"}"))
                        .envelope())
                .isTrue();
        assertThat(UsageJson.answer(bytes("{\"id\":\"m\",\"type\":\"message\",\"content\":[{\"type\":\"success\"}]}"))
                        .envelope())
                .isFalse();
        assertThat(UsageJson.answer(bytes("{\"data\":{\"type\":\"success\"}}")).envelope())
                .isFalse();
        for (String other : new String[] {"", "[]", "\"success\"", "{\"type\":1}", "{\"id\":", "<html>"}) {
            assertThat(UsageJson.answer(bytes(other)).envelope()).as(other).isFalse();
        }
        // one pass tells both: the envelope and the usage beside it
        UsageJson.Answer both =
                UsageJson.answer(bytes("{\"usage\":{\"input_tokens\":3},\"type\":\"success\",\"data\":{}}"));
        assertThat(both.envelope()).isTrue();
        assertThat(both.usage()).isEqualTo(new Usage(3, 0, 0, 0));
        // decided at the type field: a body cut after it goes to the tree path, which then calls it unreadable
        assertThat(UsageJson.answer(bytes("{\"type\":\"success\"")).envelope()).isTrue();
    }

    @Test
    void eventsKeepFiguresTheyDoNotCarry() {
        long[] now = {10, 20, 30, 40};
        assertThat(UsageJson.event(
                        "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":7,"
                                + "\"output_tokens\":1}}}",
                        true,
                        now))
                .containsExactly(7, 1, 30, 40);
        assertThat(UsageJson.event(
                        "{\"type\":\"message_delta\",\"delta\":{},\"usage\":{\"output_tokens\":55}}", false, now))
                .containsExactly(10, 55, 30, 40);
        assertThat(UsageJson.event("{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":55}", false, now))
                .isNull();
        assertThat(UsageJson.event("{\"type\":\"message_start\",\"usage\":{\"output_tokens\":55}}", true, now))
                .isNull();
        assertThat(now).containsExactly(10, 20, 30, 40);
    }

    @Property(tries = 2000)
    void responseMatchesTheTree(@ForAll("documents") String doc) {
        byte[] body = bytes(doc);
        Usage expected;
        try {
            JsonNode root = Json.MAPPER.readTree(body);
            expected = root != null && root.isObject() ? AnthropicProvider.usageOf(root.path("usage")) : null;
        } catch (Exception e) {
            expected = null;
        }
        assertThat(UsageJson.answer(body).usage()).as(doc).isEqualTo(expected);
    }

    @Property(tries = 2000)
    void eventsMatchTheTree(@ForAll("documents") String doc) {
        for (boolean start : new boolean[] {true, false}) {
            long[] expected = null;
            try {
                JsonNode root = Json.MAPPER.readTree(doc);
                JsonNode u = start ? root.path("message").path("usage") : root.path("usage");
                if (u.isObject()) {
                    expected = new long[] {
                        u.path("input_tokens").asLong(1),
                        u.path("output_tokens").asLong(2),
                        u.path("cache_read_input_tokens").asLong(3),
                        u.path("cache_creation_input_tokens").asLong(4)
                    };
                }
            } catch (Exception e) {
                expected = null;
            }
            assertThat(UsageJson.event(doc, start, new long[] {1, 2, 3, 4}))
                    .as(doc)
                    .isEqualTo(expected);
        }
    }

    @Provide
    Arbitrary<String> documents() {
        return Arbitraries.randomValue(UsageJsonTest::document);
    }

    private static final String[] NAMES = {
        "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "other"
    };
    private static final String[] VALUES = {
        "0",
        "17",
        "-3",
        "1.9",
        "2e3",
        "123456789012345678901234",
        "\"42\"",
        "\"4.7\"",
        "\"x\"",
        "true",
        "false",
        "null",
        "[1]",
        "{\"input_tokens\":5}"
    };

    private static String document(Random r) {
        List<String> top = new ArrayList<>();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            top.add(
                    r.nextBoolean()
                            ? "\"usage\":" + usage(r)
                            : "\"message\":{\"id\":\"m\",\"usage\":" + usage(r) + "}");
        }
        top.add("\"type\":\"x\"");
        Collections.shuffle(top, r);
        String doc = "{" + String.join(",", top) + "}";
        return switch (r.nextInt(10)) {
            case 0 -> doc.substring(0, r.nextInt(doc.length()));
            case 1 -> "[" + doc + "]";
            case 2 -> doc + " x";
            default -> doc;
        };
    }

    private static String usage(Random r) {
        if (r.nextInt(6) == 0) {
            return VALUES[r.nextInt(VALUES.length)];
        }
        List<String> fields = new ArrayList<>();
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) {
            fields.add("\"" + NAMES[r.nextInt(NAMES.length)] + "\":" + VALUES[r.nextInt(VALUES.length)]);
        }
        return "{" + String.join(",", fields) + "}";
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
