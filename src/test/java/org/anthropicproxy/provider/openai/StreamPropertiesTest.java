package org.anthropicproxy.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.anthropicproxy.testkit.AnthropicStreamGrammar;
import org.anthropicproxy.testkit.Fixtures;

class StreamPropertiesTest {

    private static final List<String> FIXTURES = StreamFixturesTest.upstreamFixtures();
    private static final Map<String, byte[]> BYTES = new HashMap<>();
    private static final Map<String, String> WHOLE = new HashMap<>();

    static {
        for (String f : FIXTURES) {
            byte[] b = Fixtures.bytes(f);
            BYTES.put(f, b);
            WHOLE.put(f, StreamHarness.run(b).describe());
        }
    }

    @Provide
    Arbitrary<Tuple.Tuple2<String, int[]>> rechunked() {
        return Arbitraries.of(FIXTURES).flatMap(f -> {
            int len = BYTES.get(f).length;
            Arbitrary<int[]> splits = Arbitraries.integers()
                    .between(1, len - 1)
                    .array(int[].class)
                    .ofMinSize(0)
                    .ofMaxSize(40)
                    .map(a -> Arrays.stream(a).sorted().distinct().toArray());
            return splits.map(s -> Tuple.of(f, s));
        });
    }

    @Property(tries = 5000)
    void anyRechunkingGivesTheSameMessage(@ForAll("rechunked") Tuple.Tuple2<String, int[]> c) {
        StreamHarness h = StreamHarness.run(BYTES.get(c.get1()), c.get2());
        AnthropicStreamGrammar.strict().assertValid(h.events());
        assertThat(h.describe()).isEqualTo(WHOLE.get(c.get1()));
    }

    @Provide
    Arbitrary<byte[]> damaged() {
        Arbitrary<byte[]> truncated = Arbitraries.of(FIXTURES).flatMap(f -> {
            byte[] b = BYTES.get(f);
            return Arbitraries.integers().between(0, b.length).map(n -> Arrays.copyOf(b, n));
        });
        Arbitrary<byte[]> mutated = Arbitraries.of(FIXTURES).flatMap(f -> {
            byte[] b = BYTES.get(f);
            return Combinators.combine(
                            Arbitraries.integers().between(0, b.length - 1),
                            Arbitraries.bytes(),
                            Arbitraries.integers().between(1, 8))
                    .as((pos, val, n) -> {
                        byte[] copy = b.clone();
                        for (int i = 0; i < n && pos + i < copy.length; i++) {
                            copy[pos + i] = (byte) (val + i * 31);
                        }
                        return copy;
                    });
        });
        Arbitrary<byte[]> garbage = Arbitraries.strings()
                .withChars("data: {}[]\"\n:,DONE\\u0ab choices delta tool_calls index")
                .ofMaxLength(400)
                .map(s -> s.getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        return Arbitraries.oneOf(truncated, mutated, garbage, random);
    }

    @Property(tries = 5000)
    void damagedInputNeverThrowsAndEndsValid(@ForAll("damaged") byte[] body, @ForAll("splitsFor") int[] splits) {
        StreamHarness h = new StreamHarness(List.of("STOP"));
        try {
            h.feed(body, splits);
        } catch (org.anthropicproxy.sse.SseException e) {
            h.translator.onUpstreamFailure(e.getMessage()); // oversized event: the caller reports a failure
        }
        AnthropicStreamGrammar.strict().assertValid(h.events());
        assertThat(h.translator.finished()).isTrue();
    }

    @Provide
    Arbitrary<int[]> splitsFor() {
        return Arbitraries.integers()
                .between(1, 500)
                .array(int[].class)
                .ofMaxSize(10)
                .map(a -> Arrays.stream(a).sorted().distinct().toArray());
    }
}
