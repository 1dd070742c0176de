package org.anthropicproxy.testkit;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Future;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Tuple;
import org.eclipse.jetty.io.content.AsyncContent;
import org.eclipse.jetty.util.Callback;

/** Recorded streams cut into random reads, for the pumps' properties. */
public final class Chunkings {

    private Chunkings() {}

    /** A fixture, the sorted offsets where its reads end (up to {@code maxCuts}), and whether the client is slow. */
    public static Arbitrary<Tuple.Tuple3<String, int[], Boolean>> of(List<String> fixtures, int maxCuts) {
        return Arbitraries.of(fixtures).flatMap(f -> {
            int len = Fixtures.bytes(f).length;
            Arbitrary<int[]> cuts = Arbitraries.integers()
                    .between(1, len - 1)
                    .array(int[].class)
                    .ofMaxSize(maxCuts)
                    .map(a -> Arrays.stream(a).sorted().distinct().toArray());
            return cuts.flatMap(c -> Arbitraries.of(true, false).map(slow -> Tuple.of(f, c, slow)));
        });
    }

    /**
     * Writes {@code upstream} from {@code from} on into {@code source} in reads ending at {@code cuts} (the rest, last),
     * letting the client's writes complete after each read, then until the pump is {@code done} (for at most 5 s).
     */
    public static void feed(
            AsyncContent source, byte[] upstream, int from, int[] cuts, RecordingClientSink client, Future<?> done) {
        for (int at : cuts) {
            if (at > from) {
                source.write(false, ByteBuffer.wrap(upstream, from, at - from), Callback.NOOP);
                from = at;
            }
            client.completeWrites();
        }
        if (from < upstream.length) {
            source.write(true, ByteBuffer.wrap(upstream, from, upstream.length - from), Callback.NOOP);
        }
        long deadline = System.nanoTime() + 5_000_000_000L; // a pump that hangs fails the caller's bounded get
        while (!done.isDone() && System.nanoTime() < deadline) {
            client.completeWrites();
        }
    }
}
