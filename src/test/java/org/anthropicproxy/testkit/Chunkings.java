package org.anthropicproxy.testkit;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Tuple;

/** Recorded streams cut into random reads, for the pumps' properties. */
public final class Chunkings {

    private Chunkings() {
    }

    /** A fixture, the sorted offsets where its reads end (up to {@code maxCuts}), and whether the client is slow. */
    public static Arbitrary<Tuple.Tuple3<String, int[], Boolean>> of(List<String> fixtures, int maxCuts) {
        return Arbitraries.of(fixtures).flatMap(f -> {
            int len = Fixtures.bytes(f).length;
            Arbitrary<int[]> cuts = Arbitraries.integers().between(1, len - 1).array(int[].class).ofMaxSize(maxCuts)
                    .map(a -> Arrays.stream(a).sorted().distinct().toArray());
            return cuts.flatMap(c -> Arbitraries.of(true, false).map(slow -> Tuple.of(f, c, slow)));
        });
    }
}
