package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalInt;

/**
 * The request's parameters → their Chat Completions counterparts: the max_tokens, stop_sequences, temperature,
 * top_p, metadata, thinking and output_config rows of {@link RequestMapper}'s table. Each method reads {@code in} and
 * writes {@code out}; what cannot be carried over is noted in the {@link MappingRun}.
 */
final class ParameterMapper {

    private ParameterMapper() {}

    static void maxTokens(ObjectNode in, ObjectNode out, String upstreamModel, MappingRun run) {
        JsonNode mt = in.get("max_tokens");
        if (mt == null || !mt.canConvertToLong()) {
            return;
        }
        long v = mt.asLong();
        OptionalInt clamp = run.dialect.clampFor(upstreamModel);
        if (clamp.isPresent() && v > clamp.getAsInt()) {
            run.note("max_tokens " + v + " lowered to " + clamp.getAsInt() + " for " + upstreamModel);
            v = clamp.getAsInt();
        }
        out.put(run.dialect.maxTokensField(), v);
    }

    /**
     * Sends the first {@code maxStopSequences} stop sequences upstream and returns them all: every one is matched
     * locally ({@link StopMatcher}), so a dialect that takes fewer still stops where the client asked.
     */
    static List<String> stops(ObjectNode in, ObjectNode out, MappingRun run) {
        List<String> stops = new ArrayList<>();
        for (JsonNode s : in.path("stop_sequences")) {
            if (s.isTextual() && !s.asText().isEmpty()) {
                stops.add(s.asText());
            }
        }
        if (stops.isEmpty()) {
            return stops;
        }
        int n = Math.min(stops.size(), run.dialect.maxStopSequences());
        if (n > 0) {
            ArrayNode arr = out.putArray("stop");
            stops.subList(0, n).forEach(arr::add);
        }
        if (n < stops.size()) {
            run.note("stop_sequences: " + stops.size() + " given, " + n + " sent upstream; all matched locally");
        }
        return stops;
    }

    static void copyNumber(ObjectNode in, ObjectNode out, String k) {
        JsonNode v = in.get(k);
        if (v != null && v.isNumber()) {
            out.set(k, v);
        }
    }

    /** OpenAI caps {@code user} at 64 characters; a longer id is sent as a stable hash of itself. */
    static void metadata(ObjectNode in, ObjectNode out, MappingRun run) {
        JsonNode md = in.get("metadata");
        if (md == null || !md.isObject()) {
            return;
        }
        for (Iterator<String> it = md.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!"user_id".equals(k)) {
                run.note("metadata." + k + " dropped");
            }
        }
        JsonNode uid = md.get("user_id");
        if (uid != null && uid.isTextual() && !uid.asText().isEmpty()) {
            String u = uid.asText();
            if (u.length() > 64) {
                u = "u_"
                        + ToolNameMap.sha256Hex(u)
                                .substring(0, 62); // memoized: Claude Code sends the same id every request
                run.note("metadata.user_id longer than 64 chars sent as a stable hash");
            }
            out.put("user", u);
        }
    }

    static void thinking(ObjectNode in, ObjectNode out, MappingRun run) {
        JsonNode th = in.get("thinking");
        if (th == null || th.isNull()) {
            return;
        }
        String type = th.path("type").asText();
        if ("disabled".equals(type)) {
            switch (run.dialect.reasoningStyle()) {
                case THINKING_OBJECT -> out.putObject("thinking").put("type", "disabled");
                case ENABLE_THINKING -> out.put("enable_thinking", false);
                default -> {}
            }
            return;
        }
        if (!"enabled".equals(type) && !"adaptive".equals(type)) {
            run.note("thinking type '" + type + "' dropped");
            return;
        }
        Integer budget = "enabled".equals(type) ? th.path("budget_tokens").asInt(0) : null;
        String effort = budget != null
                ? effortOfBudget(budget)
                : effortOf(in.path("output_config").path("effort").asText(""));
        if (th.has("display")) {
            run.note("thinking.display dropped");
        }
        switch (run.dialect.reasoningStyle()) {
            case NONE -> run.note("thinking dropped: this upstream has no reasoning switch");
            case REASONING_EFFORT -> out.put("reasoning_effort", effort);
            case REASONING_EFFORT_AND_SUMMARY ->
                out.put("reasoning_effort", effort).put("reasoning_summary", "auto");
            case THINKING_OBJECT -> out.putObject("thinking").put("type", "enabled");
            case ENABLE_THINKING -> {
                out.put("enable_thinking", true);
                if (budget != null && budget > 0) {
                    out.put("thinking_budget", budget);
                }
            }
        }
    }

    private static String effortOfBudget(int budget) {
        return budget < 4096 ? "low" : budget < 16384 ? "medium" : "high";
    }

    private static String effortOf(String e) {
        return switch (e) {
            case "low" -> "low";
            case "high", "xhigh", "max" -> "high";
            default -> "medium";
        };
    }

    static void outputConfig(ObjectNode in, ObjectNode out, MappingRun run) {
        JsonNode oc = in.get("output_config");
        if (oc == null || !oc.isObject()) {
            return;
        }
        for (Iterator<String> it = oc.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            switch (k) {
                case "effort" -> {
                    if (!"adaptive".equals(in.path("thinking").path("type").asText())) {
                        run.note("output_config.effort used only with adaptive thinking; dropped");
                    }
                }
                case "format" -> outputFormat(oc.get("format"), out, run);
                default -> run.note("output_config." + k + " dropped");
            }
        }
    }

    private static void outputFormat(JsonNode f, ObjectNode out, MappingRun run) {
        if ("json_schema".equals(f.path("type").asText()) && f.has("schema")) {
            ObjectNode rf = out.putObject("response_format").put("type", "json_schema");
            rf.putObject("json_schema")
                    .put("name", "output")
                    .put("strict", true)
                    .set("schema", f.get("schema"));
        } else {
            run.note("output_config.format of type '" + f.path("type").asText() + "' dropped");
        }
    }
}
