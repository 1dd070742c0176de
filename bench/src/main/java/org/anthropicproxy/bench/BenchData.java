package org.anthropicproxy.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Request bodies and recorded upstream bytes for the benchmarks, all built from the test fixtures
 * ({@code src/test/resources/fixtures} of the project directory, or {@code $BENCH_FIXTURES}).
 */
public final class BenchData {

    public static final ObjectMapper JSON = new ObjectMapper();
    public static final String CLAUDE_CODE_LIKE = "synthetic/anthropic-request-claude-code-like.json";
    private static final Path ROOT = locate();

    private BenchData() {}

    private static Path locate() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("BENCH_FIXTURES");
        if (env != null) {
            candidates.add(Path.of(env));
        }
        candidates.add(Path.of("src/test/resources/fixtures"));
        for (Path p : candidates) {
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        throw new IllegalStateException("research fixtures not found (set BENCH_FIXTURES)");
    }

    public static byte[] bytes(String relative) {
        try {
            return Files.readAllBytes(ROOT.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String text(String relative) {
        return new String(bytes(relative), StandardCharsets.UTF_8);
    }

    public static ObjectNode object(String relative) {
        try {
            return (ObjectNode) JSON.readTree(bytes(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A Claude-Code-like request of at least {@code targetBytes}, shaped like the requests Claude Code
     * sends: three system blocks (the billing-header line first), fifteen tools with schemas (the fixture's four and
     * eleven more of Claude Code's size, ~11 KB together), and the fixture's turns with its assistant/user pair
     * repeated (tool ids made unique per copy, so roles alternate and every tool_result has its tool_use) up to the
     * size: about 6 pairs at 30 KB.
     */
    public static ObjectNode claudeCodeLike(int targetBytes, String model, boolean stream) {
        ObjectNode base = object(CLAUDE_CODE_LIKE);
        base.put("model", model);
        base.put("stream", stream);
        ArrayNode system = (ArrayNode) base.get("system");
        system.insert(
                0,
                JSON.createObjectNode()
                        .put("type", "text")
                        .put("text", "x-anthropic-billing-header: cc_version=2.1.332; cc_entrypoint=cli; cch=00000;"));
        system.addObject().put("type", "text").put("text", prose(2_400));
        ArrayNode tools = (ArrayNode) base.get("tools");
        String[] names = {
            "Glob",
            "Grep",
            "Edit",
            "Write",
            "NotebookEdit",
            "WebFetch",
            "TodoWrite",
            "Task",
            "BashOutput",
            "KillShell",
            "ExitPlanMode"
        };
        for (int i = 0; i < names.length; i++) {
            ObjectNode t = JSON.createObjectNode().put("name", names[i]).put("description", prose(420 + 40 * i));
            ObjectNode schema = t.putObject("input_schema").put("type", "object");
            ObjectNode props = schema.putObject("properties");
            ArrayNode required = JSON.createArrayNode();
            for (int k = 0; k < 3 + i % 3; k++) {
                String prop = names[i].toLowerCase() + "_arg_" + k;
                props.putObject(prop)
                        .put("type", k % 3 == 2 ? "boolean" : "string")
                        .put("description", prose(60 + 10 * k));
                if (k < 2) {
                    required.add(prop);
                }
            }
            schema.set("required", required);
            schema.put("additionalProperties", false).put("$schema", "https://json-schema.org/draft/2020-12/schema");
            tools.insert(tools.size() - 1, t); // before the server tool, which stays last
        }
        ArrayNode messages = (ArrayNode) base.get("messages");
        JsonNode assistant = messages.get(1);
        JsonNode user = messages.get(2);
        int copy = 0;
        while (size(base) < targetBytes) {
            copy++;
            messages.add(withSuffix(assistant.deepCopy(), "_" + copy));
            messages.add(withSuffix(user.deepCopy(), "_" + copy));
        }
        return base;
    }

    /**
     * {@link #claudeCodeLike} as the load bench sends it: every request carries a new newest turn, as every turn of a
     * Claude Code session appends one. The last assistant message (its first text block) and the last user message (its
     * last text block) get a text with a number unique to the request; everything before them (system, tools, earlier
     * messages) is byte-identical in every request. Built once; {@link Body#next()} only splices the number in.
     */
    public static Body claudeCodeLikeBody(int targetBytes, String model, boolean stream) {
        ObjectNode base = claudeCodeLike(targetBytes, model, stream);
        ArrayNode messages = (ArrayNode) base.get("messages");
        int n = messages.size();
        appendToText(messages.get(n - 2), "assistant", true, " (step " + Body.SEQ + ")");
        appendToText(messages.get(n - 1), "user", false, "\nRequest " + Body.SEQ + ": go on with the next step.");
        Body body = Body.sequenced(toBytes(base));
        if (body.placeholders() != 2) {
            throw new IllegalStateException(
                    "expected the placeholder twice, found it " + body.placeholders() + " times");
        }
        return body;
    }

    /** Appends {@code suffix} to the first (or last) text block of {@code message}, which must have role {@code role}. */
    private static void appendToText(JsonNode message, String role, boolean first, String suffix) {
        if (!role.equals(message.path("role").asText())) {
            throw new IllegalStateException("expected a " + role + " message, got " + message.path("role"));
        }
        ObjectNode text = null;
        for (JsonNode block : message.path("content")) {
            if ("text".equals(block.path("type").asText()) && block.path("text").isTextual()) {
                text = (ObjectNode) block;
                if (first) {
                    break;
                }
            }
        }
        if (text == null) {
            throw new IllegalStateException("no text block in the last " + role + " message");
        }
        text.put("text", text.get("text").asText() + suffix);
    }

    private static final String PROSE = "Use this tool when the task needs it; read the result before acting on it. "
            + "Paths are absolute, output is truncated past the limit, and errors are reported as text. "
            + "Prefer the dedicated tool over a shell command when one exists, and batch independent calls. ";

    /** About {@code chars} characters of instruction-like English. */
    private static String prose(int chars) {
        StringBuilder sb = new StringBuilder(chars + PROSE.length());
        while (sb.length() < chars) {
            sb.append(PROSE);
        }
        return sb.substring(0, chars).trim();
    }

    /** A minimal request: one short user message. */
    public static ObjectNode small(String model, boolean stream) {
        ObjectNode o = JSON.createObjectNode();
        o.put("model", model).put("max_tokens", 1024).put("stream", stream);
        o.putArray("messages").addObject().put("role", "user").put("content", "Hello, Claude");
        return o;
    }

    public static byte[] toBytes(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int size(JsonNode n) {
        return toBytes(n).length;
    }

    private static JsonNode withSuffix(JsonNode n, String suffix) {
        if (n.isObject()) {
            ObjectNode o = (ObjectNode) n;
            for (String idField : List.of("id", "tool_use_id")) {
                if (o.path(idField).isTextual()) {
                    o.put(idField, o.get(idField).asText() + suffix);
                }
            }
            for (Iterator<JsonNode> it = o.elements(); it.hasNext(); ) {
                withSuffix(it.next(), suffix);
            }
        } else if (n.isArray()) {
            for (JsonNode c : n) {
                withSuffix(c, suffix);
            }
        }
        return n;
    }

    /** The SSE events of a recorded stream, each with its trailing blank line, in order. */
    public static List<byte[]> sseEvents(String relative) {
        String all = text(relative).replace("\r\n", "\n");
        List<byte[]> out = new ArrayList<>();
        for (String ev : all.split("\n\n")) {
            if (!ev.isBlank()) {
                out.add((ev.strip() + "\n\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** The {@code data:} payloads of a recorded stream, in order. */
    public static List<String> sseData(String relative) {
        List<String> out = new ArrayList<>();
        for (String line : text(relative).replace("\r\n", "\n").split("\n")) {
            if (line.startsWith("data:")) {
                out.add(line.substring(5).strip());
            }
        }
        return out;
    }
}
