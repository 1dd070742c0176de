package org.anthropicproxy.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.content.AsyncContent;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ChunkInputStreamTest {

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsAcrossChunksAndReleasesEachAsSoonAsItIsCopied() throws Exception {
        AsyncContent content = new AsyncContent();
        CompletableFuture<Void> first = new CompletableFuture<>();
        CompletableFuture<Void> second = new CompletableFuture<>();
        content.write(false, bytes("hello "), Callback.from(first));
        content.write(true, bytes("world"), Callback.from(second));
        ChunkInputStream in = new ChunkInputStream(content);
        byte[] three = new byte[3];
        assertThat(in.read(three, 0, 3)).isEqualTo(3);
        assertThat(new String(three, StandardCharsets.UTF_8)).isEqualTo("hel");
        assertThat(first)
                .as("the chunk is released once copied, before its rest is read")
                .isDone();
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("lo world");
        assertThat(second).isDone();
        assertThat(in.read()).isEqualTo(-1);
    }

    @Test
    void waitsForContentThatComesLater() throws Exception {
        CountDownLatch waiting = new CountDownLatch(1);
        AsyncContent content = new AsyncContent() {
            @Override
            public void demand(Runnable more) {
                waiting.countDown();
                super.demand(more);
            }
        };
        ChunkInputStream in = new ChunkInputStream(content);
        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return in.read();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                },
                VirtualThreads.EXECUTOR);
        assertThat(waiting.await(5, TimeUnit.SECONDS))
                .as("the reader waits for content")
                .isTrue();
        assertThat(read).isNotDone();
        content.write(true, bytes("x"), Callback.NOOP);
        assertThat(read.get(5, TimeUnit.SECONDS)).isEqualTo('x');
    }

    @Test
    void aFailedSourceIsAnIOException() {
        AsyncContent content = new AsyncContent();
        content.fail(new EOFException("upstream closed"));
        assertThatThrownBy(() -> new ChunkInputStream(content).read(new byte[8], 0, 8))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("upstream closed");
    }

    @Test
    void closingBeforeTheEndGivesTheSourceUpButABodyReceivedWholeIsNot() throws Exception {
        AsyncContent open = new AsyncContent();
        open.write(false, bytes("ab"), Callback.NOOP);
        ChunkInputStream in = new ChunkInputStream(open);
        assertThat(in.read()).isEqualTo('a');
        in.close();
        assertThat(Content.Chunk.isFailure(open.read()))
                .as("the rest will never be read: the source is failed")
                .isTrue();

        AsyncContent whole = new AsyncContent();
        whole.write(true, bytes("ab"), Callback.NOOP);
        ChunkInputStream done = new ChunkInputStream(whole);
        assertThat(done.read()).isEqualTo('a');
        done.close();
        Content.Chunk after = whole.read();
        assertThat(after != null && Content.Chunk.isFailure(after))
                .as("read to its end, not failed")
                .isFalse();
    }
}
