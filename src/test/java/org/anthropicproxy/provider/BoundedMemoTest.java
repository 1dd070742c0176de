package org.anthropicproxy.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BoundedMemoTest {

    @Test
    void computesOncePerKeyWhileThereIsRoom() {
        BoundedMemo<String, String> memo = new BoundedMemo<>(2);
        AtomicInteger calls = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            assertThat(memo.computeIfAbsent("a", k -> k + calls.incrementAndGet()))
                    .isEqualTo("a1");
        }
        assertThat(calls).hasValue(1);
    }

    @Test
    void stopsRememberingWhenFullButStillAnswers() {
        BoundedMemo<Integer, Integer> memo = new BoundedMemo<>(3);
        AtomicInteger calls = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            int k = i;
            assertThat(memo.computeIfAbsent(k, x -> {
                        calls.incrementAndGet();
                        return x * 2;
                    }))
                    .isEqualTo(k * 2);
        }
        assertThat(memo.size()).isEqualTo(3);
        calls.set(0);
        memo.computeIfAbsent(50, x -> {
            calls.incrementAndGet();
            return x * 2;
        });
        assertThat(calls).as("a key that did not fit is computed again").hasValue(1);
        memo.computeIfAbsent(0, x -> {
            calls.incrementAndGet();
            return -1;
        });
        assertThat(calls).as("a remembered key is not").hasValue(1);
    }
}
