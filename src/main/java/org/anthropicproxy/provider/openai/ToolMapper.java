package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.anthropicproxy.json.Json;

/**
 * {@code tools} and {@code tool_choice} → OpenAI functions and {@code tool_choice}: the "Tools" table and the
 * tool_choice row of {@link RequestMapper}'s table. The list is mapped on its own ({@link #mapToolList}, depending only
 * on the list and the dialect) so that a list sent again is reused ({@link ToolListMemo}); the choice is applied per
 * request ({@link #applyTools}).
 */
final class ToolMapper {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Set<String> DROPPED_TOOL_KEYS =
            Set.of("strict", "cache_control", "input_examples", "eager_input_streaming", "allowed_callers");

    private ToolMapper() {}

    static MappedTools mapToolList(JsonNode tools, OpenAiDialect dialect) {
        ArrayNode fns = F.arrayNode();
        List<String[]> notes = new ArrayList<>();
        Set<String> serverTools = new LinkedHashSet<>();
        Set<String> clientTools = new LinkedHashSet<>();
        ToolNameMap names = new ToolNameMap(dialect.maxToolNameLength());
        int i = 0;
        if (tools != null && tools.isArray()) {
            for (JsonNode t : tools) {
                String where = "tools." + i++;
                String type = t.path("type").asText("custom");
                String name = t.path("name").asText();
                if (!"custom".equals(type) && !"function".equals(type)) {
                    serverTools.add(name + "|" + type + "|" + where);
                } else if (t.path("defer_loading").asBoolean(false)) {
                    notes.add(new String[] {
                        null,
                        where + ": deferred tool '" + name
                                + "' dropped (defer_loading; tool search is not available upstream)"
                    });
                } else {
                    clientTools.add(name);
                    fns.add(function(t, name, where, names, dialect, notes));
                }
            }
        }
        return new MappedTools(
                fns, new SerializedString(Json.write(fns)), notes, clientTools, List.copyOf(serverTools));
    }

    private static ObjectNode function(
            JsonNode t, String name, String where, ToolNameMap names, OpenAiDialect dialect, List<String[]> notes) {
        for (String k : DROPPED_TOOL_KEYS) {
            if (t.has(k) && !"cache_control".equals(k)) {
                notes.add(new String[] {"toolkey:" + k, "tools: '" + k + "' dropped (not sent to this upstream)"});
            } else if (t.has(k)) {
                notes.add(new String[] {MappingRun.CACHE_CONTROL_NOTE_KEY, MappingRun.CACHE_CONTROL_NOTE});
            }
        }
        ObjectNode tool = F.objectNode().put("type", "function");
        ObjectNode fn = tool.putObject("function");
        String up = names.toUpstream(name);
        if (!up.equals(name)) {
            notes.add(new String[] {
                null,
                where + ": tool name '" + name + "' longer than " + dialect.maxToolNameLength() + " sent as '" + up
                        + "'"
            });
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
        return tool;
    }

    /**
     * Puts the request's tools ({@code known} when the list was mapped before, else mapped now) and its tool_choice
     * into {@code out}; returns the list used. A server tool the upstream cannot run is dropped with a note while client
     * tools remain, and refused when it is all there is or the choice names it.
     */
    static MappedTools applyTools(ObjectNode in, ObjectNode out, MappedTools known, MappingRun run) {
        JsonNode choice = in.get("tool_choice");
        MappedTools t = known != null ? known : mapToolList(in.get("tools"), run.dialect);
        run.replayNotes(t.notes());
        t.clientNames().forEach(run.names::toUpstream);
        ArrayNode fns = t.functions();
        String forcedName = choice != null && "tool".equals(choice.path("type").asText())
                ? choice.path("name").asText()
                : null;
        for (String st : t.serverTools()) {
            String[] p = st.split("\\|", 3);
            if (fns.isEmpty() || p[0].equals(forcedName)) {
                throw new UnsupportedFeatureException(p[2] + ": Input tag '" + p[1]
                        + "' found using 'type' does not match any of the expected tags: 'custom' (server tool '"
                        + p[0] + "' is not supported by this upstream)");
            }
            run.note(p[2] + ": server tool '" + p[0] + "' (" + p[1] + ") dropped: not available on this upstream");
        }
        if (fns.isEmpty()) {
            if (choice != null && !"none".equals(choice.path("type").asText())) {
                run.note("tool_choice dropped: no tools sent");
            }
            return t;
        }
        out.set("tools", fns);
        if (choice != null && choice.isObject()) {
            applyChoice(choice, forcedName, t.clientNames(), out, run);
        }
        return t;
    }

    private static void applyChoice(
            JsonNode choice, String forcedName, Set<String> clientTools, ObjectNode out, MappingRun run) {
        String type = choice.path("type").asText();
        switch (type) {
            case "auto" -> out.put("tool_choice", "auto");
            case "any" -> out.put("tool_choice", "required");
            case "none" -> out.put("tool_choice", "none");
            case "tool" -> {
                if (!clientTools.contains(forcedName)) {
                    run.note("tool_choice names '" + forcedName
                            + "' which is not among the sent tools; sent as required");
                    out.put("tool_choice", "required");
                } else {
                    ObjectNode tc = out.putObject("tool_choice").put("type", "function");
                    tc.putObject("function").put("name", run.names.toUpstream(forcedName));
                }
            }
            default -> run.note("tool_choice type '" + type + "' dropped");
        }
        if (choice.path("disable_parallel_tool_use").asBoolean(false) && !"none".equals(type)) {
            out.put("parallel_tool_calls", false);
        }
    }
}
