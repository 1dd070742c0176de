package org.anthropicproxy.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** One configured upstream. Implementations are thread-safe and serve many calls at once. */
public interface Provider extends AutoCloseable {

    String name();

    String kind();

    ModelMapper models();

    /** {@code POST /v1/messages}. */
    Outcome messages(Call call, ClientSink client);

    /** {@code POST /v1/messages/count_tokens}. */
    Outcome countTokens(Call call, ClientSink client);

    /** Facts for {@code /health}; never a secret. */
    ObjectNode health();

    @Override
    void close();
}
