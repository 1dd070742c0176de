package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.anthropicproxy.json.Json;

/**
 * The upstream Chat Completions body plus what the response side needs to map back.
 *
 * @param body          the OpenAI request body
 * @param toolNames     client ⇄ upstream tool names
 * @param stopSequences every stop string the client asked for (the upstream may have received only the first N);
 *                      the response side matches them all locally
 * @param notes         what was changed or dropped, one human-readable line each (log at DEBUG/INFO)
 * @param tools         the tool list as mapped (its {@code functions} are the body's {@code tools}, when it has any)
 */
public record MappedRequest(
        ObjectNode body, ToolNameMap toolNames, List<String> stopSequences, List<String> notes, MappedTools tools) {
    public MappedRequest {
        stopSequences = List.copyOf(stopSequences);
        notes = List.copyOf(notes);
    }

    /** True when the upstream call streams (the client asked for it, or the dialect forces it). */
    public boolean upstreamStreams() {
        return body.path("stream").asBoolean(false);
    }

    /** The body as sent: the same bytes as serializing {@link #body}, with the tool list copied as serialized once. */
    @SuppressWarnings(
            "ReferenceEquality") // the body holds this very tool array; identity finds it without comparing trees
    public byte[] bytes() {
        if (tools == null || tools.functions().isEmpty()) {
            return Json.bytes(body);
        }
        ByteArrayBuilder out = new ByteArrayBuilder(tools.json().charLength() + 4096);
        try (JsonGenerator g = Json.MAPPER.createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<String, JsonNode> e : body.properties()) {
                g.writeFieldName(e.getKey());
                if (e.getValue() == tools.functions()) {
                    g.writeRawValue(tools.json());
                } else {
                    g.writeTree(e.getValue());
                }
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
