package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.anthropicproxy.json.BodySplice;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.json.MessagesRequestScan.Span;

/**
 * A client's body to the upstream's bytes: parsed, mapped by {@link RequestMapper}, serialized. A tool list seen
 * before ({@link ToolListMemo}) is not parsed, mapped nor serialized again: the tree gets {@code "tools": null} in its
 * place and the body the list's bytes as mapped the first time.
 */
public final class RequestBodyMapper {

    private static final byte[] NULL = {'n', 'u', 'l', 'l'};

    private final RequestMapper mapper;
    private final ToolListMemo toolLists = new ToolListMemo();

    public RequestBodyMapper(OpenAiDialect dialect) {
        this.mapper = new RequestMapper(dialect);
    }

    /**
     * A mapped body.
     *
     * @param request          the client's request as parsed: without its tool list when that was reused
     * @param toolsReused      the tool list was found in the memo
     * @param reusedToolTokens the reused list's share of {@link #quickInputEstimate}
     */
    public record Mapped(ObjectNode request, MappedRequest mapped, boolean toolsReused, long reusedToolTokens) {

        /** message_start's estimate of the input: {@link TokenCounter#quick()} over the whole request. */
        public long quickInputEstimate() {
            return TokenCounter.quick().countRequest(request) + reusedToolTokens;
        }

        /** {@link TokenCounter#shared()} over the whole request ({@code body} parsed again if its tools were reused). */
        public long inputTokens(byte[] body) throws IOException {
            return TokenCounter.shared().countRequest(toolsReused ? Json.MAPPER.readTree(body) : request);
        }
    }

    /**
     * Maps {@code body} (a scanned {@code /v1/messages} request; {@code toolsSpan} its tool list's range or null).
     *
     * @throws UnsupportedFeatureException a feature the upstream cannot take (the client gets a 400)
     * @throws IOException                 the body is not JSON after all
     */
    public Mapped map(byte[] body, Span toolsSpan, String upstreamModel) throws IOException {
        ToolListMemo.Key key = toolsSpan == null ? null : ToolListMemo.key(body, toolsSpan);
        ToolListMemo.Entry known = key == null ? null : toolLists.get(key);
        ObjectNode request = (ObjectNode) Json.MAPPER.readTree(known == null ? body : BodySplice.replace(body, toolsSpan, NULL));
        MappedRequest mapped = mapper.map(request, upstreamModel, known == null ? null : known.tools());
        if (known == null && key != null) {
            toolLists.put(key, new ToolListMemo.Entry(mapped.tools(), TokenCounter.quick().countTools(request.path("tools"))));
        }
        return new Mapped(request, mapped, known != null, known == null ? 0 : known.quickTokens());
    }
}
