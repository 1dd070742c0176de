package org.anthropicproxy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One non-interactive Claude Code run ({@code claude -p … --output-format stream-json --verbose}) against a base URL,
 * in a clean environment: temporary HOME, CLAUDE_CONFIG_DIR and working directory, a dummy key, no non-essential
 * traffic, no updater, no telemetry, Bash allowed without prompts, a hard timeout after which the process tree is
 * destroyed.
 */
final class ClaudeCodeRun {

    /**
     * Claude Code's own default model at this version. It gets the full feature set (adaptive thinking, effort,
     * {@code output_config}, the {@code role:"system"} environment entry inside {@code messages}, 9 betas); an older
     * name such as claude-sonnet-4-5 gets {@code thinking: enabled} with a budget and no system entry.
     */
    static final String DEFAULT_MODEL = "claude-opus-5-5";

    static final Duration TIMEOUT = Duration.ofMinutes(2);
    static final String DUMMY_KEY = "sk-ant-e2e-dummy-0000000000000000000000000000";

    private static final ObjectMapper JSON = new ObjectMapper();

    final ProcessRun process;
    final List<JsonNode> lines;

    private ClaudeCodeRun(ProcessRun process, List<JsonNode> lines) {
        this.process = process;
        this.lines = lines;
    }

    static ClaudeCodeRun run(NodeClients clients, Path scratch, String baseUrl, String model, String prompt) {
        return run(clients, scratch, baseUrl, model, prompt, false);
    }

    /** With {@code nonEssentialTraffic} Claude Code also probes the base URL ({@code HEAD /api/hello}). */
    static ClaudeCodeRun run(
            NodeClients clients,
            Path scratch,
            String baseUrl,
            String model,
            String prompt,
            boolean nonEssentialTraffic) {
        try {
            Path home = Files.createDirectories(scratch.resolve("home"));
            Path config = Files.createDirectories(home.resolve(".claude"));
            Path work = Files.createDirectories(scratch.resolve("work"));
            Map<String, String> env = new LinkedHashMap<>();
            env.put("HOME", home.toString());
            env.put("CLAUDE_CONFIG_DIR", config.toString());
            env.put("SHELL", "/bin/bash");
            env.put("ANTHROPIC_BASE_URL", baseUrl);
            env.put("ANTHROPIC_API_KEY", DUMMY_KEY);
            if (!nonEssentialTraffic) {
                env.put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
            }
            env.put("DISABLE_AUTOUPDATER", "1");
            env.put("DISABLE_TELEMETRY", "1");
            env.put("DISABLE_ERROR_REPORTING", "1");
            // a proxy failure must fail the run, not be retried into a timeout
            env.put("CLAUDE_CODE_MAX_RETRIES", "1");
            env.put("API_TIMEOUT_MS", "60000");
            List<String> cmd = List.of(
                    clients.claude().toString(),
                    "-p",
                    prompt,
                    "--output-format",
                    "stream-json",
                    "--verbose",
                    "--model",
                    model,
                    "--allowedTools",
                    "Bash",
                    "--max-turns",
                    "4");
            ProcessRun p = ProcessRun.run(cmd, work, env, true, TIMEOUT);
            List<JsonNode> lines = new ArrayList<>();
            for (String line : p.stdout().split("\n", -1)) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    lines.add(JSON.readTree(line));
                } catch (IOException e) {
                    lines.add(JSON.createObjectNode().put("type", "unparsed").put("line", line));
                }
            }
            return new ClaudeCodeRun(p, lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last stream-json line of type {@code result}, or null. */
    JsonNode result() {
        JsonNode last = null;
        for (JsonNode l : lines) {
            if ("result".equals(l.path("type").asText())) {
                last = l;
            }
        }
        return last;
    }

    String describe() {
        return "claude " + process.describe();
    }
}
