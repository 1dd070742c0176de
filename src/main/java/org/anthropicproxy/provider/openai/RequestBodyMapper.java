package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.anthropicproxy.json.BodySplice;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.json.MessagesRequestScan;
import org.anthropicproxy.json.MessagesRequestScan.Span;

/**
 * A client's body to the upstream's bytes: parsed, mapped by {@link RequestMapper}, serialized. What a conversation
 * repeats turn after turn is not parsed, mapped nor serialized again: a tool list seen before ({@link ToolListMemo})
 * and a system value or message seen before at the same position ({@link PartMemo}) are cut out of the bytes that
 * are parsed and replayed from what they became the first time. Only the new messages are parsed, one by one.
 */
public final class RequestBodyMapper {

    private static final byte[] NULL = {'n', 'u', 'l', 'l'};
    private static final byte[] EMPTY_ARRAY = {'[', ']'};

    private final RequestMapper mapper;
    private final ToolListMemo toolLists = new ToolListMemo();
    private final PartMemo parts = new PartMemo();

    public RequestBodyMapper(OpenAiDialect dialect) {
        this.mapper = new RequestMapper(dialect);
    }

    /**
     * A mapped body.
     *
     * @param request    the client's request as parsed, without its messages, and without its system value or tool
     *                   list when those were reused
     * @param mapped     what the upstream gets
     * @param apartTokens the quick estimate's share of what is not in {@code request}
     * @param partsReused how many of the system value and messages were replayed from the memo
     */
    public record Mapped(ObjectNode request, MappedRequest mapped, long apartTokens, int partsReused) {

        /** message_start's estimate of the input: {@link TokenCounter#quick()} over the whole request. */
        public long quickInputEstimate() {
            return TokenCounter.quick().countRequest(request) + apartTokens;
        }

        /** {@link TokenCounter#shared()} over the whole request ({@code body}, which is parsed again). */
        public long inputTokens(byte[] body) throws IOException {
            return TokenCounter.shared().countRequest(Json.MAPPER.readTree(body));
        }
    }

    /**
     * Maps {@code body}, a {@code /v1/messages} request {@code scan} accepted.
     *
     * @throws UnsupportedFeatureException a feature the upstream cannot take (the client gets a 400)
     * @throws IOException                 the body is not JSON after all
     */
    public Mapped map(byte[] body, MessagesRequestScan scan, String upstreamModel) throws IOException {
        Span toolsSpan = scan.toolsSpan();
        BytesKey toolsKey = toolsSpan == null ? null : ToolListMemo.key(body, toolsSpan);
        ToolListMemo.Entry knownTools = toolsKey == null ? null : toolLists.get(toolsKey);
        Span systemSpan = scan.systemSpan();
        BytesKey systemKey = systemSpan == null ? null : PartMemo.key(body, systemSpan, -1);
        PartMemo.Entry knownSystem = systemKey == null ? null : parts.get(systemKey);
        List<Span> messageSpans = MessagesRequestScan.elements(body, scan.messagesSpan());

        List<Span> cut = new ArrayList<>(3);
        List<byte[]> with = new ArrayList<>(3);
        cut.add(scan.messagesSpan());
        with.add(EMPTY_ARRAY);
        if (knownTools != null) {
            cut.add(toolsSpan);
            with.add(NULL);
        }
        if (knownSystem != null) {
            cut.add(systemSpan);
            with.add(NULL);
        }
        ObjectNode request = (ObjectNode) Json.MAPPER.readTree(BodySplice.replace(body, cut, with));

        RequestMapper.Parts apart = new RequestMapper.Parts(messageSpans.size());
        BytesKey[] keys = new BytesKey[apart.parsed.length];
        long apartTokens = 0;
        int reused = 0;
        keys[0] = systemKey;
        if (knownSystem != null) {
            reused++;
            apart.reused[0] = knownSystem.part();
            apartTokens += knownSystem.quickTokens();
        } else {
            apart.parsed[0] = request.get("system");
        }
        long[] tokens = new long[keys.length];
        for (int i = 0; i < messageSpans.size(); i++) {
            Span s = messageSpans.get(i);
            keys[i + 1] = PartMemo.key(body, s, i);
            PartMemo.Entry known = keys[i + 1] == null ? null : parts.get(keys[i + 1]);
            if (known != null) {
                reused++;
                apart.reused[i + 1] = known.part();
                tokens[i + 1] = known.quickTokens();
            } else {
                apart.parsed[i + 1] = Json.MAPPER.readTree(body, s.start(), s.end() - s.start());
                tokens[i + 1] = TokenCounter.quick().countMessage(apart.parsed[i + 1]);
            }
            apartTokens += tokens[i + 1];
        }

        MappedRequest mapped =
                mapper.map(request, upstreamModel, knownTools == null ? null : knownTools.tools(), apart);
        if (knownTools == null && toolsKey != null) {
            toolLists.put(
                    toolsKey,
                    new ToolListMemo.Entry(mapped.tools(), TokenCounter.quick().countTools(request.path("tools"))));
        } else if (knownTools != null) {
            apartTokens += knownTools.quickTokens();
        }
        if (systemKey != null && apart.fresh[0] != null) {
            tokens[0] = TokenCounter.quick().countSystem(apart.parsed[0]);
        }
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null && apart.fresh[i] != null) {
                parts.put(keys[i], new PartMemo.Entry(apart.fresh[i], tokens[i]));
            }
        }
        return new Mapped(request, mapped, apartTokens, reused);
    }

    /** What the part memo holds (tests: it stays bounded). */
    long memoWeight() {
        return parts.weight();
    }
}
