package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The upstream Chat Completions body plus what the response side needs to map back.
 *
 * @param body          the OpenAI request body
 * @param toolNames     client ⇄ upstream tool names
 * @param stopSequences every stop string the client asked for (the upstream may have received only the first N);
 *                      the response side matches them all locally
 * @param notes         what was changed or dropped, one human-readable line each (log at DEBUG/INFO)
 */
public record MappedRequest(ObjectNode body, ToolNameMap toolNames, List<String> stopSequences, List<String> notes) {
    public MappedRequest {
        stopSequences = List.copyOf(stopSequences);
        notes = List.copyOf(notes);
    }

    /** True when the upstream call streams (the client asked for it, or the dialect forces it). */
    public boolean upstreamStreams() {
        return body.path("stream").asBoolean(false);
    }
}
