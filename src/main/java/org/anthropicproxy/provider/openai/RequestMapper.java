package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;
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
 *     text parts joined with a newline; {@code is_error:true} → content prefixed {@value #TOOL_ERROR_PREFIX};
 *     no content → ""; images → a following user message ("Images from tool result &lt;id&gt;:" + image parts),
 *     followed by the user's own text/images of that turn</td></tr>
 * <tr><td>cache_control on parts</td><td>kept on text/image parts (user, system, tool) when {@code keepCacheControl}, else removed (noted once)</td></tr>
 * <tr><td>server-tool artifacts, unknown block types</td><td>dropped, noted</td></tr>
 * </table>
 */
public final class RequestMapper {

    static final String TOOL_ERROR_PREFIX = "[tool error] ";
    static final String SYSTEM_PLACEHOLDER = "You are a helpful assistant.";
    private static final String BILLING_PREFIX = "x-anthropic-billing-header:";
    private static final Pattern BILLING_LINE = Pattern.compile("(?m)^x-anthropic-billing-header:[^\\n]*(\\r?\\n)?");
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Set<String> KNOWN_TOP = Set.of("model", "max_tokens", "messages", "system", "stop_sequences",
            "stream", "temperature", "top_p", "top_k", "metadata", "tools", "tool_choice", "thinking", "output_config");
    private static final Set<String> DROPPED_TOOL_KEYS = Set.of("strict", "cache_control", "input_examples",
            "eager_input_streaming", "allowed_callers");

    private static final String CACHE_CONTROL_NOTE_KEY = "cache_control";
    private static final String CACHE_CONTROL_NOTE = "cache_control removed (dialect keep_cache_control is off)";

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
        ArrayNode fns = F.arrayNode();
        List<String[]> notes = new ArrayList<>();
        Set<String> serverTools = new LinkedHashSet<>();
        Set<String> clientTools = new LinkedHashSet<>();
        ToolNameMap names = new ToolNameMap(dialect.maxToolNameLength());
        int i = 0;
        if (tools != null && tools.isArray()) {
            for (JsonNode t : tools) {
                String tw = "tools." + i++;
                String type = t.path("type").asText("custom");
                String name = t.path("name").asText();
                if (!"custom".equals(type) && !"function".equals(type)) {
                    serverTools.add(name + "|" + type + "|" + tw);
                    continue;
                }
                if (t.path("defer_loading").asBoolean(false)) {
                    notes.add(new String[] {null, tw + ": deferred tool '" + name
                            + "' dropped (defer_loading; tool search is not available upstream)"});
                    continue;
                }
                for (String k : DROPPED_TOOL_KEYS) {
                    if (t.has(k) && !"cache_control".equals(k)) {
                        notes.add(new String[] {"toolkey:" + k, "tools: '" + k + "' dropped (not sent to this upstream)"});
                    } else if (t.has(k)) {
                        notes.add(new String[] {CACHE_CONTROL_NOTE_KEY, CACHE_CONTROL_NOTE});
                    }
                }
                clientTools.add(name);
                ObjectNode fn = fns.addObject().put("type", "function").putObject("function");
                String up = names.toUpstream(name);
                if (!up.equals(name)) {
                    notes.add(new String[] {null, tw + ": tool name '" + name + "' longer than " + dialect.maxToolNameLength()
                            + " sent as '" + up + "'"});
                }
                fn.put("name", up);
                if (t.hasNonNull("description")) {
                    fn.put("description", t.get("description").asText());
                }
                JsonNode schema = t.get("input_schema");
                if (dialect.cleanToolSchemas()) {
                    fn.set("parameters", SchemaCleaner.clean(schema));
                } else if (schema != null && schema.isObject()) {
                    fn.set("parameters", schema);
                } else {
                    fn.putObject("parameters").put("type", "object").putObject("properties");
                }
            }
        }
        return new MappedTools(fns, new SerializedString(Json.write(fns)), notes, clientTools, List.copyOf(serverTools));
    }

    /** Per-call state: notes and the tool-name map. */
    private final class Run {
        final ObjectNode in;
        final List<String> notes = new ArrayList<>();
        final Set<String> noteKeys = new LinkedHashSet<>();
        final ToolNameMap names = new ToolNameMap(dialect.maxToolNameLength());
        final ArrayNode messages = F.arrayNode();
        final MappedTools known;
        final Parts parts;
        MappedTools tools;
        /** While a part is mapped for {@link #parts}: every note it makes, and the shortened tool names it uses. */
        List<String[]> partNotes;
        List<String> partNames;
        /** {@code messages}' first role when its first entry is a part's serialized form. */
        String firstRole;

        Run(ObjectNode in, MappedTools known, Parts parts) {
            this.in = in;
            this.known = known;
            this.parts = parts;
        }

        void note(String s) {
            if (partNotes != null) {
                partNotes.add(new String[] {null, s});
            }
            notes.add(s);
        }

        /** Notes a kind of change once per request. */
        void noteOnce(String key, String s) {
            if (partNotes != null) {
                partNotes.add(new String[] {key, s});
            }
            if (noteKeys.add(key)) {
                notes.add(s);
            }
        }

        /** Notes made when a part or a tool list was mapped before: {@code {onceKey, text}}, the key null for an every-time note. */
        void replayNotes(List<String[]> made) {
            for (String[] n : made) {
                if (n[0] == null) {
                    note(n[1]);
                } else {
                    noteOnce(n[0], n[1]);
                }
            }
        }

        String upstreamName(String clientName) {
            String up = names.toUpstream(clientName);
            if (partNames != null && !up.equals(clientName)) {
                partNames.add(clientName);
            }
            return up;
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
                ObjectNode sys = F.objectNode().put("role", "system").put("content", SYSTEM_PLACEHOLDER);
                messages.insert(0, sys);
                note("system_first: inserted a placeholder system message");
            }
            out.set("messages", messages);
            mapMaxTokens(out, upstreamModel);
            List<String> stops = mapStops(out);
            copyNumber(out, "temperature");
            copyNumber(out, "top_p");
            if (in.has("top_k")) {
                note("top_k dropped: not an OpenAI Chat Completions parameter");
            }
            boolean stream = dialect.forceStream() || in.path("stream").asBoolean(false);
            if (stream) {
                out.put("stream", true);
                out.putObject("stream_options").put("include_usage", true);
                if (!in.path("stream").asBoolean(false)) {
                    note("stream forced on by the dialect; the response is aggregated for the client");
                }
            } else {
                out.put("stream", false);
            }
            mapMetadata(out);
            mapTools(out);
            mapThinking(out);
            mapOutputConfig(out);
            for (Iterator<String> it = in.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!KNOWN_TOP.contains(k)) {
                    note(k + " dropped: no Chat Completions equivalent");
                }
            }
            return new MappedRequest(out, names, stops, notes, tools);
        }

        // ---------------------------------------------------------------- system

        void mapSystem(JsonNode system) {
            if (system == null || system.isNull()) {
                return;
            }
            ObjectNode msg = systemMessage(system, "system");
            if (msg != null) {
                messages.add(msg);
            }
        }

        /** A system message from a string or text blocks; null when nothing is left. */
        ObjectNode systemMessage(JsonNode content, String where) {
            List<ObjectNode> parts = new ArrayList<>();
            if (content.isTextual()) {
                String t = systemText(content.asText());
                if (!t.isBlank()) {
                    parts.add(textPart(t, null));
                }
            } else if (content.isArray()) {
                for (JsonNode b : content) {
                    String type = b.path("type").asText();
                    if (!"text".equals(type)) {
                        note(where + ": " + type + " block dropped (system accepts text only)");
                        continue;
                    }
                    String t = systemText(b.path("text").asText());
                    if (t.isBlank()) {
                        continue;
                    }
                    parts.add(textPart(t, b.get("cache_control")));
                }
            }
            if (parts.isEmpty()) {
                return null;
            }
            ObjectNode msg = F.objectNode().put("role", "system");
            setTextContent(msg, parts, "\n\n");
            return msg;
        }

        String systemText(String t) {
            if (t.contains(BILLING_PREFIX)) { // the regex only when it can match: system prompts are long
                String before = t;
                t = BILLING_LINE.matcher(t).replaceAll("");
                if (!t.equals(before)) {
                    noteOnce("billing", "x-anthropic-billing-header line removed from the system prompt");
                }
            }
            for (Map.Entry<String, String> e : dialect.phraseRewrites().entrySet()) {
                if (t.contains(e.getKey())) {
                    t = t.replace(e.getKey(), e.getValue());
                    noteOnce("rewrite:" + e.getKey(), "system phrase rewritten: \"" + e.getKey() + "\"");
                }
            }
            return t;
        }

        String firstRole() {
            if (messages.isEmpty()) {
                return null;
            }
            JsonNode m = messages.get(0);
            return m.isObject() ? m.path("role").asText() : firstRole;
        }

        // ---------------------------------------------------------------- messages

        void mapMessages(JsonNode msgs) {
            int i = 0;
            for (JsonNode m : msgs) {
                int before = messages.size();
                mapMessage(m, i);
                if (i == msgs.size() - 1) {
                    notePrefill(m.path("role").asText(), messages.size() > before, i);
                }
                i++;
            }
        }

        void mapMessage(JsonNode m, int i) {
            String where = "messages." + i;
            switch (m.path("role").asText()) {
                case "system" -> {
                    ObjectNode sys = systemMessage(m.path("content"), where);
                    if (sys != null) {
                        messages.add(sys);
                    } else {
                        note(where + ": empty system message dropped");
                    }
                }
                case "user" -> mapUser(m.path("content"), where);
                case "assistant" -> mapAssistant(m.path("content"), where);
                default -> throw new UnsupportedFeatureException(where + ".role: Input should be 'user' or 'assistant'");
            }
        }

        /** Not part of the message's own mapping: whether a message is the last one depends on the request. */
        void notePrefill(String role, boolean sent, int i) {
            if ("assistant".equals(role) && sent) {
                note("messages." + i + ": final assistant message (prefill) sent as an assistant message; the upstream may not continue it");
            }
        }

        void mapParts() {
            part(0, "system", () -> mapSystem(parts.parsed[0]));
            int n = parts.messages();
            for (int i = 0; i < n; i++) {
                JsonNode m = parts.parsed[i + 1];
                int at = i;
                MappedPart p = part(i + 1, m == null ? null : m.path("role").asText(), () -> mapMessage(m, at));
                if (i == n - 1) {
                    notePrefill(p.role(), !p.json().isEmpty(), i);
                }
            }
        }

        /** Replays slot {@code slot} of {@link #parts} if it was reused, else maps it with {@code mapping} and records it. */
        MappedPart part(int slot, String role, Runnable mapping) {
            MappedPart p = parts.reused[slot];
            if (p != null) {
                replayNotes(p.notes());
                p.longNames().forEach(names::toUpstream);
                for (SerializedString json : p.json()) {
                    addSerialized(json, p.firstRole());
                }
                return p;
            }
            int from = messages.size();
            partNotes = new ArrayList<>();
            partNames = new ArrayList<>();
            try {
                mapping.run();
                List<SerializedString> json = new ArrayList<>();
                String first = from < messages.size() ? messages.get(from).path("role").asText() : null;
                while (messages.size() > from) {
                    json.add(new SerializedString(Json.write(messages.remove(from))));
                }
                for (SerializedString s : json) {
                    addSerialized(s, first);
                }
                p = new MappedPart(role, json, first, partNotes, partNames);
            } finally {
                partNotes = null;
                partNames = null;
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

        void mapUser(JsonNode content, String where) {
            if (content.isTextual()) {
                if (content.asText().isEmpty()) {
                    note(where + ": empty user text dropped");
                    return;
                }
                messages.add(F.objectNode().put("role", "user").put("content", content.asText()));
                return;
            }
            List<ObjectNode> toolImages = new ArrayList<>();
            List<ObjectNode> parts = new ArrayList<>();
            boolean partBeforeResult = false;
            int j = 0;
            for (JsonNode b : content) {
                String bw = where + ".content." + j++;
                String type = b.path("type").asText();
                if ("tool_result".equals(type)) {
                    if (!parts.isEmpty()) {
                        partBeforeResult = true;
                    }
                    mapToolResult(b, bw, toolImages);
                } else {
                    userPart(b, bw, parts);
                }
            }
            if (partBeforeResult) {
                note(where + ": user content before tool_result moved after the tool messages");
            }
            List<ObjectNode> all = new ArrayList<>(toolImages);
            all.addAll(parts);
            if (!all.isEmpty()) {
                ObjectNode msg = F.objectNode().put("role", "user");
                setUserContent(msg, all);
                messages.add(msg);
            }
        }

        /** Maps one non-tool_result user block into parts. */
        void userPart(JsonNode b, String where, List<ObjectNode> parts) {
            String type = b.path("type").asText();
            switch (type) {
                case "text" -> {
                    String t = b.path("text").asText();
                    if (t.isBlank()) {
                        note(where + ": empty text block dropped");
                    } else {
                        parts.add(textPart(t, b.get("cache_control")));
                    }
                }
                case "image" -> parts.add(imagePart(b, where));
                case "document" -> documentParts(b, where, parts);
                case "search_result" -> {
                    parts.add(textPart(searchResultText(b), b.get("cache_control")));
                    note(where + ": search_result sent as text (citations are not available upstream)");
                }
                case "thinking", "redacted_thinking", "tool_use" ->
                        note(where + ": " + type + " block in a user message dropped");
                default -> note(where + ": " + type + " block dropped: no Chat Completions equivalent");
            }
        }

        void mapToolResult(JsonNode b, String where, List<ObjectNode> toolImages) {
            String id = b.path("tool_use_id").asText();
            JsonNode c = b.get("content");
            StringBuilder text = new StringBuilder();
            List<ObjectNode> images = new ArrayList<>();
            if (c == null || c.isNull()) {
                // empty result
            } else if (c.isTextual()) {
                text.append(c.asText());
            } else if (c.isArray()) {
                int k = 0;
                for (JsonNode part : c) {
                    String pw = where + ".content." + k++;
                    String pt = part.path("type").asText();
                    switch (pt) {
                        case "text" -> appendLine(text, part.path("text").asText());
                        case "image" -> images.add(imagePart(part, pw));
                        case "search_result" -> appendLine(text, searchResultText(part));
                        case "document" -> {
                            List<ObjectNode> docParts = new ArrayList<>();
                            documentParts(part, pw, docParts);
                            for (ObjectNode dp : docParts) {
                                if ("text".equals(dp.path("type").asText())) {
                                    appendLine(text, dp.path("text").asText());
                                } else {
                                    images.add(dp);
                                }
                            }
                        }
                        case "tool_reference" -> {
                            appendLine(text, "[tool reference: " + part.path("tool_name").asText(part.path("name").asText()) + "]");
                            note(pw + ": tool_reference sent as text");
                        }
                        default -> note(pw + ": " + pt + " in tool_result dropped");
                    }
                }
            }
            String s = text.toString();
            if (b.path("is_error").asBoolean(false)) {
                s = TOOL_ERROR_PREFIX + s;
            }
            ObjectNode tool = F.objectNode().put("role", "tool").put("tool_call_id", id);
            JsonNode cc = b.get("cache_control");
            if (dialect.keepCacheControl() && cc != null && !s.isEmpty()) {
                tool.putArray("content").add(textPart(s, cc));
            } else {
                if (cc != null) {
                    dropCacheControl();
                }
                tool.put("content", s);
            }
            messages.add(tool);
            if (!images.isEmpty()) {
                toolImages.add(textPart("Images from tool result " + id + ":", null));
                toolImages.addAll(images);
                note(where + ": " + images.size() + " image(s) of tool_result " + id + " moved to the following user message");
            }
        }

        void mapAssistant(JsonNode content, String where) {
            ObjectNode msg = F.objectNode().put("role", "assistant");
            if (content.isTextual()) {
                msg.put("content", content.asText());
                messages.add(msg);
                return;
            }
            List<String> texts = new ArrayList<>();
            List<String> thinking = new ArrayList<>();
            ArrayNode calls = F.arrayNode();
            int j = 0;
            for (JsonNode b : content) {
                String bw = where + ".content." + j++;
                String type = b.path("type").asText();
                switch (type) {
                    case "text" -> {
                        if (!b.path("text").asText().isEmpty()) {
                            texts.add(b.path("text").asText());
                        }
                        if (b.has("cache_control")) {
                            dropCacheControl();
                        }
                    }
                    case "tool_use" -> {
                        ObjectNode call = calls.addObject();
                        call.put("id", b.path("id").asText());
                        call.put("type", "function");
                        ObjectNode fn = call.putObject("function");
                        fn.put("name", upstreamName(b.path("name").asText()));
                        JsonNode input = b.get("input");
                        fn.put("arguments", input == null || input.isNull() ? "{}" : JsonText.write(input));
                    }
                    case "thinking" -> {
                        if (dialect.reasoningContentInHistory()) {
                            thinking.add(b.path("thinking").asText());
                        } else {
                            noteOnce("thinking-history", "thinking blocks in history dropped (dialect does not take reasoning_content)");
                        }
                    }
                    case "redacted_thinking" -> noteOnce("redacted", "redacted_thinking blocks in history dropped (opaque outside Anthropic)");
                    default -> note(bw + ": " + type + " block in an assistant message dropped: no Chat Completions equivalent");
                }
            }
            boolean hasText = !texts.isEmpty();
            if (!hasText && calls.isEmpty() && thinking.isEmpty()) {
                note(where + ": assistant message with nothing to send dropped");
                return;
            }
            if (hasText) {
                msg.put("content", String.join("\n\n", texts));
            } else if (calls.isEmpty()) {
                msg.put("content", "");
            } else {
                msg.putNull("content");
            }
            if (!thinking.isEmpty()) {
                msg.put("reasoning_content", String.join("\n\n", thinking));
            }
            if (!calls.isEmpty()) {
                msg.set("tool_calls", calls);
            }
            messages.add(msg);
        }

        // ---------------------------------------------------------------- parts

        ObjectNode textPart(String text, JsonNode cacheControl) {
            ObjectNode p = F.objectNode().put("type", "text").put("text", text);
            if (cacheControl != null && !cacheControl.isNull()) {
                if (dialect.keepCacheControl()) {
                    p.set("cache_control", cacheControl);
                } else {
                    dropCacheControl();
                }
            }
            return p;
        }

        void dropCacheControl() {
            noteOnce(CACHE_CONTROL_NOTE_KEY, CACHE_CONTROL_NOTE);
        }

        ObjectNode imagePart(JsonNode b, String where) {
            JsonNode src = b.path("source");
            String url;
            switch (src.path("type").asText()) {
                case "base64" -> {
                    String data = src.path("data").asText();
                    int comma = data.indexOf(',');
                    if (data.startsWith("data:") && comma > 0) {
                        data = data.substring(comma + 1);
                    }
                    url = "data:" + src.path("media_type").asText("image/png") + ";base64," + data;
                }
                case "url" -> url = src.path("url").asText();
                default -> throw new UnsupportedFeatureException(where + ".source: image source type '"
                        + src.path("type").asText() + "' is not supported by this upstream; Extra inputs are not permitted");
            }
            ObjectNode p = F.objectNode().put("type", "image_url");
            p.putObject("image_url").put("url", url);
            if (b.has("cache_control")) {
                if (dialect.keepCacheControl()) {
                    p.set("cache_control", b.get("cache_control"));
                } else {
                    dropCacheControl();
                }
            }
            return p;
        }

        void documentParts(JsonNode b, String where, List<ObjectNode> parts) {
            JsonNode src = b.path("source");
            String title = b.path("title").asText("");
            if (b.has("citations") || b.has("context")) {
                note(where + ": document citations/context dropped");
            }
            switch (src.path("type").asText()) {
                case "text" -> parts.add(textPart((title.isEmpty() ? "" : title + "\n\n") + src.path("data").asText(), b.get("cache_control")));
                case "content" -> {
                    JsonNode c = src.path("content");
                    if (c.isTextual()) {
                        parts.add(textPart((title.isEmpty() ? "" : title + "\n\n") + c.asText(), b.get("cache_control")));
                    } else {
                        if (!title.isEmpty()) {
                            parts.add(textPart(title, null));
                        }
                        int k = 0;
                        for (JsonNode part : c) {
                            userPart(part, where + ".source.content." + k++, parts);
                        }
                    }
                }
                case "base64" -> {
                    String media = src.path("media_type").asText("application/pdf");
                    String name = title.isEmpty() ? "document.pdf" : title;
                    ObjectNode p = F.objectNode().put("type", "file");
                    p.putObject("file").put("filename", name).put("file_data", "data:" + media + ";base64," + src.path("data").asText());
                    parts.add(p);
                    note(where + ": PDF document sent as a file content part");
                }
                default -> throw new UnsupportedFeatureException(where + ".source: document source type '"
                        + src.path("type").asText() + "' is not supported by this upstream; Extra inputs are not permitted");
            }
        }

        String searchResultText(JsonNode b) {
            StringBuilder sb = new StringBuilder();
            appendLine(sb, b.path("title").asText(""));
            appendLine(sb, b.path("source").asText(""));
            for (JsonNode c : b.path("content")) {
                appendLine(sb, c.path("text").asText(""));
            }
            return sb.toString();
        }

        void appendLine(StringBuilder sb, String s) {
            if (s.isEmpty()) {
                return;
            }
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            sb.append(s);
        }

        void setUserContent(ObjectNode msg, List<ObjectNode> parts) {
            setTextContent(msg, parts, "\n\n");
        }

        /** A single string when every part is plain text without cache_control; parts otherwise. */
        void setTextContent(ObjectNode msg, List<ObjectNode> parts, String joiner) {
            boolean plain = parts.stream().allMatch(p -> "text".equals(p.path("type").asText()) && !p.has("cache_control"));
            if (plain) {
                List<String> texts = parts.stream().map(p -> p.path("text").asText()).toList();
                msg.put("content", String.join(joiner, texts));
            } else {
                ArrayNode arr = msg.putArray("content");
                parts.forEach(arr::add);
            }
        }

        // ---------------------------------------------------------------- parameters

        void mapMaxTokens(ObjectNode out, String upstreamModel) {
            JsonNode mt = in.get("max_tokens");
            if (mt == null || !mt.canConvertToLong()) {
                return;
            }
            long v = mt.asLong();
            OptionalInt clamp = dialect.clampFor(upstreamModel);
            if (clamp.isPresent() && v > clamp.getAsInt()) {
                note("max_tokens " + v + " lowered to " + clamp.getAsInt() + " for " + upstreamModel);
                v = clamp.getAsInt();
            }
            out.put(dialect.maxTokensField(), v);
        }

        List<String> mapStops(ObjectNode out) {
            List<String> stops = new ArrayList<>();
            for (JsonNode s : in.path("stop_sequences")) {
                if (s.isTextual() && !s.asText().isEmpty()) {
                    stops.add(s.asText());
                }
            }
            if (!stops.isEmpty()) {
                int n = Math.min(stops.size(), dialect.maxStopSequences());
                if (n > 0) {
                    ArrayNode arr = out.putArray("stop");
                    stops.subList(0, n).forEach(arr::add);
                }
                if (n < stops.size()) {
                    note("stop_sequences: " + stops.size() + " given, " + n + " sent upstream; all matched locally");
                }
            }
            return stops;
        }

        void copyNumber(ObjectNode out, String k) {
            JsonNode v = in.get(k);
            if (v != null && v.isNumber()) {
                out.set(k, v);
            }
        }

        void mapMetadata(ObjectNode out) {
            JsonNode md = in.get("metadata");
            if (md == null || !md.isObject()) {
                return;
            }
            for (Iterator<String> it = md.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!"user_id".equals(k)) {
                    note("metadata." + k + " dropped");
                }
            }
            JsonNode uid = md.get("user_id");
            if (uid != null && uid.isTextual() && !uid.asText().isEmpty()) {
                String u = uid.asText();
                if (u.length() > 64) {
                    u = "u_" + sha256Hex(u).substring(0, 62);
                    note("metadata.user_id longer than 64 chars sent as a stable hash");
                }
                out.put("user", u);
            }
        }

        void mapTools(ObjectNode out) {
            JsonNode choice = in.get("tool_choice");
            MappedTools t = known != null ? known : mapToolList(in.get("tools"));
            tools = t;
            replayNotes(t.notes());
            t.clientNames().forEach(names::toUpstream);
            ArrayNode fns = t.functions();
            Set<String> clientTools = t.clientNames();
            String forcedName = choice != null && "tool".equals(choice.path("type").asText()) ? choice.path("name").asText() : null;
            for (String st : t.serverTools()) {
                String[] p = st.split("\\|", 3);
                boolean forced = p[0].equals(forcedName);
                if (fns.isEmpty() || forced) {
                    throw new UnsupportedFeatureException(p[2] + ": Input tag '" + p[1]
                            + "' found using 'type' does not match any of the expected tags: 'custom' (server tool '"
                            + p[0] + "' is not supported by this upstream)");
                }
                note(p[2] + ": server tool '" + p[0] + "' (" + p[1] + ") dropped: not available on this upstream");
            }
            if (fns.isEmpty()) {
                if (choice != null && !"none".equals(choice.path("type").asText())) {
                    note("tool_choice dropped: no tools sent");
                }
                return;
            }
            out.set("tools", fns);
            if (choice == null || !choice.isObject()) {
                return;
            }
            switch (choice.path("type").asText()) {
                case "auto" -> out.put("tool_choice", "auto");
                case "any" -> out.put("tool_choice", "required");
                case "none" -> out.put("tool_choice", "none");
                case "tool" -> {
                    if (!clientTools.contains(forcedName)) {
                        note("tool_choice names '" + forcedName + "' which is not among the sent tools; sent as required");
                        out.put("tool_choice", "required");
                    } else {
                        ObjectNode tc = out.putObject("tool_choice").put("type", "function");
                        tc.putObject("function").put("name", names.toUpstream(forcedName));
                    }
                }
                default -> note("tool_choice type '" + choice.path("type").asText() + "' dropped");
            }
            if (choice.path("disable_parallel_tool_use").asBoolean(false) && !"none".equals(choice.path("type").asText())) {
                out.put("parallel_tool_calls", false);
            }
        }

        void mapThinking(ObjectNode out) {
            JsonNode th = in.get("thinking");
            if (th == null || th.isNull()) {
                return;
            }
            String type = th.path("type").asText();
            if ("disabled".equals(type)) {
                switch (dialect.reasoningStyle()) {
                    case THINKING_OBJECT -> out.putObject("thinking").put("type", "disabled");
                    case ENABLE_THINKING -> out.put("enable_thinking", false);
                    default -> {
                    }
                }
                return;
            }
            if (!"enabled".equals(type) && !"adaptive".equals(type)) {
                note("thinking type '" + type + "' dropped");
                return;
            }
            String effort;
            Integer budget = null;
            if ("enabled".equals(type)) {
                budget = th.path("budget_tokens").asInt(0);
                effort = budget < 4096 ? "low" : budget < 16384 ? "medium" : "high";
            } else {
                effort = effortOf(in.path("output_config").path("effort").asText(""));
            }
            if (th.has("display")) {
                note("thinking.display dropped");
            }
            switch (dialect.reasoningStyle()) {
                case NONE -> note("thinking dropped: this upstream has no reasoning switch");
                case REASONING_EFFORT -> out.put("reasoning_effort", effort);
                case REASONING_EFFORT_AND_SUMMARY -> {
                    out.put("reasoning_effort", effort);
                    out.put("reasoning_summary", "auto");
                }
                case THINKING_OBJECT -> out.putObject("thinking").put("type", "enabled");
                case ENABLE_THINKING -> {
                    out.put("enable_thinking", true);
                    if (budget != null && budget > 0) {
                        out.put("thinking_budget", budget);
                    }
                }
            }
        }

        String effortOf(String e) {
            return switch (e) {
                case "low" -> "low";
                case "high", "xhigh", "max" -> "high";
                default -> "medium";
            };
        }

        void mapOutputConfig(ObjectNode out) {
            JsonNode oc = in.get("output_config");
            if (oc == null || !oc.isObject()) {
                return;
            }
            for (Iterator<String> it = oc.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                switch (k) {
                    case "effort" -> {
                        if (!"adaptive".equals(in.path("thinking").path("type").asText())) {
                            note("output_config.effort used only with adaptive thinking; dropped");
                        }
                    }
                    case "format" -> {
                        JsonNode f = oc.get("format");
                        if ("json_schema".equals(f.path("type").asText()) && f.has("schema")) {
                            ObjectNode rf = out.putObject("response_format").put("type", "json_schema");
                            rf.putObject("json_schema").put("name", "output").put("strict", true).set("schema", f.get("schema"));
                        } else {
                            note("output_config.format of type '" + f.path("type").asText() + "' dropped");
                        }
                    }
                    default -> note("output_config." + k + " dropped");
                }
            }
        }
    }

    static String sha256Hex(String s) {
        return ToolNameMap.sha256Hex(s); // memoized: Claude Code sends the same long user_id with every request
    }
}
