package org.anthropicproxy.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.CompletableFuture;

/** One configured upstream. Implementations are thread-safe and serve many calls at once. */
public interface Provider extends AutoCloseable {

    String name();

    String kind();

    ModelMapper models();

    /** {@code POST /v1/messages}. */
    Outcome messages(Call call, ClientSink client);

    /**
     * {@link #messages} for a caller that does not wait: the answer may be written, and the future completed, by an
     * I/O thread. A {@link Outcome.Failed} is completed before anything was written, as from {@link #messages}.
     * By default the call is served on the calling thread.
     */
    default CompletableFuture<Outcome> messagesAsync(Call call, ClientSink client) {
        return CompletableFuture.completedFuture(messages(call, client));
    }

    /**
     * Whether {@link #messagesAsync} may be called on an I/O thread for {@code call}: it blocks nowhere before its
     * upstream answers (no credential refresh due, no blocking client) and takes no long stretch of CPU there.
     * By default it may block.
     */
    default boolean answersWithoutBlocking(Call call) {
        return false;
    }

    /** {@code POST /v1/messages/count_tokens}. */
    Outcome countTokens(Call call, ClientSink client);

    /** Facts for {@code /health}; never a secret. */
    ObjectNode health();

    @Override
    void close();
}
