package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.anthropicproxy.json.Json;

/**
 * Anthropic Messages request → OpenAI Chat Completions request. Pure: no I/O, no shared state.
 *
 * <h2>Top-level fields</h2>
 * <table>
 * <tr><th>Anthropic</th><th>OpenAI</th></tr>
 * <tr><td>model</td><td>{@code model} = the routed upstream model</td></tr>
 * <tr><td>max_tokens</td><td>dialect {@code max_tokens}/{@code max_completion_tokens}, lowered to the dialect clamp (noted)</td></tr>
 * <tr><td>system (string/blocks)</td><td>one leading system message; blocks joined with a blank line; the
 *     {@code x-anthropic-billing-header:} line removed; phrase rewrites applied; with keepCacheControl and a
 *     {@code cache_control} present: text parts carrying it</td></tr>
 * <tr><td>messages[role=system]</td><td>a system message at the same position (never dropped)</td></tr>
 * <tr><td>stop_sequences</td><td>{@code stop}: the first {@code maxStopSequences}; all are matched locally (noted when cut)</td></tr>
 * <tr><td>stream</td><td>{@code stream} (+ {@code stream_options.include_usage:true}); forced on by {@code forceStream}</td></tr>
 * <tr><td>temperature, top_p</td><td>same</td></tr>
 * <tr><td>top_k</td><td>dropped (not an OpenAI field), noted</td></tr>
 * <tr><td>metadata.user_id</td><td>{@code user}; longer than 64 chars → {@code u_} + 62 hex of its SHA-256 (stable, noted); other metadata keys dropped (noted)</td></tr>
 * <tr><td>tools</td><td>functions (see below)</td></tr>
 * <tr><td>tool_choice</td><td>auto→"auto", any→"required", tool→{type:function,function:{name}}, none→"none";
 *     {@code disable_parallel_tool_use:true} → {@code parallel_tool_calls:false}; omitted when no tool survives (noted)</td></tr>
 * <tr><td>thinking enabled / adaptive</td><td>effort = budget &lt;4096 low, &lt;16384 medium, else high; adaptive uses
 *     {@code output_config.effort} (xhigh/max → high) else medium; then per {@link ReasoningStyle}: reasoning_effort
 *     [+ reasoning_summary:"auto"] | thinking:{type:enabled} | enable_thinking:true + thinking_budget | dropped (NONE, noted)</td></tr>
 * <tr><td>thinking disabled</td><td>THINKING_OBJECT: thinking:{type:disabled}; ENABLE_THINKING: enable_thinking:false; else nothing</td></tr>
 * <tr><td>output_config.format (json_schema)</td><td>{@code response_format:{type:json_schema,json_schema:{name:"output",schema,strict:true}}}</td></tr>
 * <tr><td>context_management, service_tier, container, inference_geo, cache_control (top level), mcp_servers, unknown keys</td><td>dropped, noted</td></tr>
 * </table>
 *
 * <h2>Tools</h2>
 * <table>
 * <tr><td>client tool</td><td>{@code {type:function,function:{name,description,parameters}}}; name shortened reversibly
 *     ({@link ToolNameMap}) beyond {@code maxToolNameLength}; schema cleaned when {@code cleanToolSchemas}</td></tr>
 * <tr><td>{@code defer_loading:true}</td><td>dropped (Anthropic does not show deferred tools to the model either), noted</td></tr>
 * <tr><td>strict, cache_control, input_examples, eager_input_streaming, allowed_callers</td><td>dropped, noted</td></tr>
 * <tr><td>server tool (typed, e.g. web_search_20250305)</td><td>dropped with a note when client tools remain; when it is
 *     the only kind of tool or tool_choice names it: {@link UnsupportedFeatureException} (Anthropic-style wording)</td></tr>
 * </table>
 *
 * <h2>Content</h2>
 * <table>
 * <tr><td>text</td><td>text part; empty/whitespace-only dropped (noted); a user message whose parts are all text becomes one
 *     string (parts joined with a blank line) unless a kept {@code cache_control} needs parts</td></tr>
 * <tr><td>image base64 / url</td><td>{@code image_url.url} = data URL / URL; {@code source.type:file} → UnsupportedFeatureException</td></tr>
 * <tr><td>document text / content</td><td>text (title first); content blocks mapped like user content</td></tr>
 * <tr><td>document base64 PDF</td><td>{@code {type:file,file:{filename,file_data:"data:application/pdf;base64,…"}}}</td></tr>
 * <tr><td>document url / file</td><td>UnsupportedFeatureException (no fetching in a translator)</td></tr>
 * <tr><td>search_result</td><td>text (title, source, texts), noted</td></tr>
 * <tr><td>tool_use (assistant)</td><td>{@code tool_calls[{id,type:function,function:{name,arguments:JSON string}}]}</td></tr>
 * <tr><td>text (assistant)</td><td>{@code content}, blocks joined with a blank line (order relative to tool calls is lost)</td></tr>
 * <tr><td>thinking (assistant)</td><td>{@code reasoning_content} (joined) when {@code reasoningContentInHistory}, else dropped (noted)</td></tr>
 * <tr><td>redacted_thinking</td><td>dropped (opaque outside Anthropic), noted</td></tr>
 * <tr><td>tool_result</td><td>one {@code role:tool} message per result, in order, before the rest of the user message;
 *     text parts joined with a newline; {@code is_error:true} → content prefixed {@value MessageMapper#TOOL_ERROR_PREFIX};
 *     no content → ""; images → a following user message ("Images from tool result &lt;id&gt;:" + image parts),
 *     followed by the user's own text/images of that turn</td></tr>
 * <tr><td>cache_control on parts</td><td>kept on text/image parts (user, system, tool) when {@code keepCacheControl}, else removed (noted once)</td></tr>
 * <tr><td>server-tool artifacts, unknown block types</td><td>dropped, noted</td></tr>
 * </table>
 *
 * <p>Each concern has a class of its own, all sharing one {@link MappingRun} per request (its notes and tool names):
 * {@link SystemMapper}, {@link MessageMapper} (messages, tool results, assistant turns), {@link ContentPartMapper}
 * (text, image, document parts), {@link ToolMapper} (tools and tool_choice), {@link ParameterMapper} (everything
 * else). This class puts them together and keeps what a request's parts became for reuse ({@link Parts}).
 */
public final class RequestMapper {

    static final String TOOL_ERROR_PREFIX = MessageMapper.TOOL_ERROR_PREFIX;
    static final String SYSTEM_PLACEHOLDER = "You are a helpful assistant.";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Set<String> KNOWN_TOP = Set.of(
            "model",
            "max_tokens",
            "messages",
            "system",
            "stop_sequences",
            "stream",
            "temperature",
            "top_p",
            "top_k",
            "metadata",
            "tools",
            "tool_choice",
            "thinking",
            "output_config");

    private final OpenAiDialect dialect;

    public RequestMapper(OpenAiDialect dialect) {
        this.dialect = dialect;
    }

    /** anthropic = the client's /v1/messages body (already validated shallowly: model string, max_tokens int, messages array). */
    public MappedRequest map(ObjectNode anthropic, String upstreamModel) {
        return map(anthropic, upstreamModel, null);
    }

    /**
     * As {@link #map(ObjectNode, String)}, with the request's tool list already mapped ({@code known}, from
     * {@link #mapToolList} on the same list; the request's own {@code tools} is then not read), or null.
     */
    MappedRequest map(ObjectNode anthropic, String upstreamModel, MappedTools known) {
        return new Run(anthropic, known, null).map(upstreamModel);
    }

    /**
     * As {@link #map(ObjectNode, String, MappedTools)}, with the system value and the messages handed over apart
     * ({@code parts}; the request's own {@code system} and {@code messages} are then not read). What each parsed part
     * became is left in {@link Parts#fresh}; the body's messages are written from the parts' serialized forms.
     */
    MappedRequest map(ObjectNode anthropic, String upstreamModel, MappedTools known, Parts parts) {
        return new Run(anthropic, known, parts).map(upstreamModel);
    }

    /**
     * A request's system value and messages as the body mapper hands them over: slot 0 the system value, slot
     * {@code i + 1} message {@code i}; each either parsed (mapped here, and what it became left in {@link #fresh}) or
     * mapped by an earlier request ({@link #reused}, replayed).
     */
    static final class Parts {
        final JsonNode[] parsed;
        final MappedPart[] reused;
        final MappedPart[] fresh;

        Parts(int messages) {
            parsed = new JsonNode[messages + 1];
            reused = new MappedPart[messages + 1];
            fresh = new MappedPart[messages + 1];
        }

        int messages() {
            return parsed.length - 1;
        }
    }

    /**
     * The {@code tools} list on its own (see {@link MappedTools}): what {@link #map} puts in the body, the notes it
     * makes, the names it registers. Depends only on the list and the dialect.
     */
    MappedTools mapToolList(JsonNode tools) {
        return ToolMapper.mapToolList(tools, dialect);
    }

    /** One request's mapping: the part mappers around one {@link MappingRun}, and the messages being built. */
    private final class Run {
        final ObjectNode in;
        final MappedTools known;
        final Parts parts;
        final MappingRun run = new MappingRun(dialect);
        final SystemMapper system;
        final MessageMapper messageMapper;
        final ArrayNode messages = F.arrayNode();
        /** {@code messages}' first role when its first entry is a part's serialized form. */
        String firstRole;

        Run(ObjectNode in, MappedTools known, Parts parts) {
            this.in = in;
            this.known = known;
            this.parts = parts;
            ContentPartMapper content = new ContentPartMapper(run);
            this.system = new SystemMapper(run, content);
            this.messageMapper = new MessageMapper(run, content, system);
        }

        MappedRequest map(String upstreamModel) {
            ObjectNode out = F.objectNode();
            out.put("model", upstreamModel);
            if (parts == null) {
                mapSystem(in.get("system"));
                mapMessages(in.path("messages"));
            } else {
                mapParts();
            }
            if (dialect.systemFirst() && !"system".equals(firstRole())) {
                messages.insert(0, F.objectNode().put("role", "system").put("content", SYSTEM_PLACEHOLDER));
                run.note("system_first: inserted a placeholder system message");
            }
            out.set("messages", messages);
            ParameterMapper.maxTokens(in, out, upstreamModel, run);
            List<String> stops = ParameterMapper.stops(in, out, run);
            ParameterMapper.copyNumber(in, out, "temperature");
            ParameterMapper.copyNumber(in, out, "top_p");
            if (in.has("top_k")) {
                run.note("top_k dropped: not an OpenAI Chat Completions parameter");
            }
            mapStream(out);
            ParameterMapper.metadata(in, out, run);
            MappedTools tools = ToolMapper.applyTools(in, out, known, run);
            ParameterMapper.thinking(in, out, run);
            ParameterMapper.outputConfig(in, out, run);
            for (Iterator<String> it = in.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!KNOWN_TOP.contains(k)) {
                    run.note(k + " dropped: no Chat Completions equivalent");
                }
            }
            return new MappedRequest(out, run.names, stops, run.notes, tools);
        }

        void mapStream(ObjectNode out) {
            boolean asked = in.path("stream").asBoolean(false);
            if (!dialect.forceStream() && !asked) {
                out.put("stream", false);
                return;
            }
            out.put("stream", true);
            out.putObject("stream_options").put("include_usage", true);
            if (!asked) {
                run.note("stream forced on by the dialect; the response is aggregated for the client");
            }
        }

        void mapSystem(JsonNode value) {
            if (value == null || value.isNull()) {
                return;
            }
            ObjectNode msg = system.systemMessage(value, "system");
            if (msg != null) {
                messages.add(msg);
            }
        }

        String firstRole() {
            if (messages.isEmpty()) {
                return null;
            }
            JsonNode m = messages.get(0);
            return m.isObject() ? m.path("role").asText() : firstRole;
        }

        void mapMessages(JsonNode msgs) {
            int i = 0;
            for (JsonNode m : msgs) {
                int before = messages.size();
                messageMapper.mapMessage(m, i, messages);
                if (i == msgs.size() - 1) {
                    notePrefill(m.path("role").asText(), messages.size() > before, i);
                }
                i++;
            }
        }

        /** Not part of the message's own mapping: whether a message is the last one depends on the request. */
        void notePrefill(String role, boolean sent, int i) {
            if ("assistant".equals(role) && sent) {
                run.note(
                        "messages." + i
                                + ": final assistant message (prefill) sent as an assistant message; the upstream may not continue it");
            }
        }

        void mapParts() {
            part(0, "system", () -> mapSystem(parts.parsed[0]));
            int n = parts.messages();
            for (int i = 0; i < n; i++) {
                JsonNode m = parts.parsed[i + 1];
                int at = i;
                MappedPart p = part(
                        i + 1,
                        m == null ? null : m.path("role").asText(),
                        () -> messageMapper.mapMessage(m, at, messages));
                if (i == n - 1) {
                    notePrefill(p.role(), !p.json().isEmpty(), i);
                }
            }
        }

        /** Replays slot {@code slot} of {@link #parts} if it was reused, else maps it with {@code mapping} and records it. */
        MappedPart part(int slot, String role, Runnable mapping) {
            MappedPart p = parts.reused[slot];
            if (p != null) {
                run.replayNotes(p.notes());
                p.longNames().forEach(run.names::toUpstream);
                for (SerializedString json : p.json()) {
                    addSerialized(json, p.firstRole());
                }
                return p;
            }
            int from = messages.size();
            run.beginPart();
            try {
                mapping.run();
                List<SerializedString> json = new ArrayList<>();
                String first =
                        from < messages.size() ? messages.get(from).path("role").asText() : null;
                while (messages.size() > from) {
                    json.add(new SerializedString(Json.write(messages.remove(from))));
                }
                for (SerializedString s : json) {
                    addSerialized(s, first);
                }
                p = new MappedPart(role, json, first, run.partNotes(), run.partNames());
            } finally {
                run.endPart();
            }
            parts.fresh[slot] = p;
            return p;
        }

        void addSerialized(SerializedString json, String role) {
            if (messages.isEmpty()) {
                firstRole = role;
            }
            messages.add(F.rawValueNode(new RawValue(json)));
        }
    }
}
