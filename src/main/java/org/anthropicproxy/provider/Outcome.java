package org.anthropicproxy.provider;

import java.io.IOException;

/** How one provider attempt ended. */
public sealed interface Outcome {

    /** The client got an answer from this provider (a success, or an error after content had begun). */
    record Served(int status, String upstreamModel, Usage usage, String streamError) implements Outcome {}

    /**
     * The provider failed before anything reached the client. {@code failure} is what the upstream said (for
     * classification); {@code replay} writes it to the client as the upstream would have, when no other provider
     * takes the request.
     */
    record Failed(UpstreamError failure, String upstreamModel, Replay replay) implements Outcome {}

    /** The client went away; the upstream request was cancelled. */
    record ClientGone(String upstreamModel) implements Outcome {}

    @FunctionalInterface
    interface Replay {
        void writeTo(ClientSink client) throws IOException;
    }
}
