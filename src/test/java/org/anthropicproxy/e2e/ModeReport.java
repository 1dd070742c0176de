package org.anthropicproxy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.anthropicproxy.testkit.RecordedRequest;

/**
 * What a real client sent in one mode, written to {@code target/e2e/<mode>-requests.json}: every request to the proxy
 * (method, path, query, status, headers without credentials, the body's top-level keys, anthropic-beta, the
 * {@code role:"system"} entries inside {@code messages}), every request the upstream simulators received, and a
 * one-line summary (method path → count) printed to stdout.
 */
final class ModeReport {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Set<String> SECRET = Set.of("x-api-key", "authorization");

    private ModeReport() {}

    static String write(
            String mode,
            List<RecordingFront.Exchange> client,
            Map<String, List<RecordedRequest>> upstreams,
            ClaudeCodeRun run,
            List<String> steps) {
        ObjectNode root = JSON.createObjectNode();
        root.put("mode", mode);
        root.put("client", "@anthropic-ai/claude-code@" + NodeClients.CLAUDE_CODE_VERSION);
        if (run != null) {
            root.put("client_ms", run.process.took().toMillis());
            root.put("exit_code", run.process.exitCode());
        }
        root.set("summary", JSON.valueToTree(summary(client)));
        ArrayNode reqs = root.putArray("client_requests");
        for (RecordingFront.Exchange e : client) {
            ObjectNode o = reqs.addObject();
            o.put("method", e.method())
                    .put("path", e.path())
                    .put("query", e.query())
                    .put("status", e.status())
                    .put("response_content_type", e.contentType());
            o.set("headers", JSON.valueToTree(e.headers()));
            describeBody(o, e.body());
            if (e.status() >= 400) {
                o.put("response_head", new String(e.responseHead(), StandardCharsets.UTF_8));
            }
        }
        ObjectNode up = root.putObject("upstream_requests");
        upstreams.forEach((name, list) -> {
            ArrayNode a = up.putArray(name);
            for (RecordedRequest r : list) {
                ObjectNode o = a.addObject();
                o.put("method", r.method()).put("path", r.path()).put("query", r.query());
                ObjectNode h = o.putObject("headers");
                r.headers().forEach((k, v) -> h.put(k, SECRET.contains(k) ? "<redacted>" : String.join(", ", v)));
                describeBody(o, r.body());
            }
        });
        root.set("simulator_steps", JSON.valueToTree(steps));
        if (run != null && run.result() != null) {
            root.set("result", run.result());
        }
        try {
            Path dir = Files.createDirectories(Path.of("target", "e2e"));
            Path file = dir.resolve(mode + "-requests.json");
            JSON.writeValue(file.toFile(), root);
            if (run != null) {
                Files.writeString(dir.resolve(mode + "-claude-stream.jsonl"), run.process.stdout());
                Files.writeString(dir.resolve(mode + "-claude-stderr.txt"), run.process.stderr());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        StringBuilder line = new StringBuilder("[e2e ").append(mode).append("]");
        summary(client)
                .forEach((k, v) ->
                        line.append(' ').append(k).append(" → ").append(v).append(';'));
        if (run != null) {
            line.append(" claude took ").append(run.process.took().toMillis()).append(" ms");
        }
        line.append(" (target/e2e/").append(mode).append("-requests.json)");
        System.out.println(line);
        return line.toString();
    }

    /** "METHOD path[?query]" → "count (statuses)". */
    static Map<String, String> summary(List<RecordingFront.Exchange> client) {
        Map<String, int[]> counts = new TreeMap<>();
        Map<String, SortedSet<Integer>> statuses = new TreeMap<>();
        for (RecordingFront.Exchange e : client) {
            String key = e.method() + " " + e.path() + (e.query() == null ? "" : "?" + e.query());
            counts.computeIfAbsent(key, k -> new int[1])[0]++;
            statuses.computeIfAbsent(key, k -> new TreeSet<>()).add(e.status());
        }
        Map<String, String> out = new TreeMap<>();
        counts.forEach((k, c) -> out.put(k, c[0] + " " + statuses.get(k)));
        return out;
    }

    private static void describeBody(ObjectNode o, byte[] body) {
        if (body.length == 0) {
            return;
        }
        JsonNode b;
        try {
            b = JSON.readTree(body);
        } catch (IOException e) {
            o.put("body_head", new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8));
            return;
        }
        if (b == null || !b.isObject()) {
            return;
        }
        ArrayNode keys = o.putArray("body_keys");
        b.fieldNames().forEachRemaining(keys::add);
        for (String scalar : List.of("model", "max_tokens", "stream")) {
            if (b.has(scalar)) {
                o.set(scalar, b.get(scalar));
            }
        }
        for (String small : List.of(
                "thinking",
                "output_config",
                "context_management",
                "reasoning_effort",
                "stream_options",
                "tool_choice")) {
            if (b.has(small)) {
                o.set(small, b.get(small));
            }
        }
        if (b.has("tools")) {
            ArrayNode names = o.putArray("tool_names");
            for (JsonNode t : b.get("tools")) {
                names.add(
                        t.has("function")
                                ? t.path("function").path("name").asText()
                                : t.path("name").asText());
            }
        }
        JsonNode messages = b.path("messages");
        if (messages.size() > 1) {
            // how a turn's tool result travels (Anthropic: a user block; OpenAI: a tool message, maybe with more)
            String last = messages.get(messages.size() - 1).toString();
            o.put("last_message", last.length() <= 1500 ? last : last.substring(0, 1500) + "…");
        }
        ArrayNode roles = o.putArray("message_roles");
        ArrayNode systemEntries = o.putArray("system_entries_in_messages");
        int i = 0;
        for (JsonNode m : b.path("messages")) {
            String role = m.path("role").asText();
            roles.add(role);
            if (role.equals("system")) {
                String text = text(m.path("content"));
                systemEntries
                        .addObject()
                        .put("index", i)
                        .put("chars", text.length())
                        .put("head", text.substring(0, Math.min(300, text.length())));
            }
            i++;
        }
    }

    static String text(JsonNode content) {
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode p : content) {
            sb.append(p.path("text").asText());
        }
        return sb.toString();
    }
}
