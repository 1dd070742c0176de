package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.provider.openai.AnthropicEventWriter.Block;
import org.anthropicproxy.provider.openai.ToolCallAssembler.State;
import org.anthropicproxy.provider.openai.ToolCallAssembler.ToolCall;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tool_use blocks of a translated stream: a call's block starts when it is next in order and has a name, and gets
 * its input as ONE {@code input_json_delta} once the first JSON object of its arguments is complete; anything after that
 * object (CodeBuddy's {@code {..}{..}}) is dropped with a WARN. Arguments that never complete: blank → {@code {}}, cut
 * by max_tokens → the partial text (as Anthropic does), otherwise an error: input is never invented
 * ({@code StreamEdgeCasesTest}, {@code StreamFixturesTest}).
 */
final class ToolUseBlocks {

    private static final Logger LOG = LoggerFactory.getLogger(StreamTranslator.class);
    private static final ObjectMapper JSON = Json.MAPPER;
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final AnthropicEventWriter events;
    private final ToolCallAssembler calls;
    private final StreamUsage usage;
    private final String messageId;
    /** The call whose tool_use block is open, waiting for its arguments to complete. */
    private ToolCall live;

    ToolUseBlocks(AnthropicEventWriter events, ToolCallAssembler calls, StreamUsage usage, String messageId) {
        this.events = events;
        this.calls = calls;
        this.usage = usage;
        this.messageId = messageId;
    }

    void arguments(ToolCall c, JsonNode args) {
        if (args != null && args.isTextual() && !args.asText().isEmpty()) {
            boolean wasComplete = c.args.complete();
            String fragment = args.asText();
            c.args.append(fragment);
            usage.countOutput(fragment);
            if (wasComplete && !c.args.extra().isBlank() && c.state == State.STOPPED) {
                LOG.warn(
                        "tool call {} ({}) got arguments after its JSON object was complete; dropped: {}",
                        c.id,
                        c.name,
                        abbreviate(c.args.extra()));
            }
        } else if (args != null && args.isObject()) {
            c.args.append(args.toString()); // lenient: an object instead of a JSON string
        }
    }

    /** Starts and completes calls in order as far as their buffered arguments allow; {@code closeOpen} ends a text block. */
    void pump(Runnable closeOpen) {
        while (!events.ended()) {
            if (live != null) {
                if (!live.args.complete() || !finish(live, false, null)) {
                    return;
                }
                live = null;
            }
            ToolCall next = calls.nextPending();
            if (next == null || next.name.isEmpty()) {
                return;
            }
            start(next, closeOpen);
            live = next;
        }
    }

    /** At the stream's end: the calls not yet stopped, in order; one that never got a name is dropped. False when it failed. */
    boolean finishAll(String finishReason, Runnable closeOpen) {
        for (ToolCall c : calls.all()) {
            if (c.done()) {
                continue;
            }
            if (c.name.isEmpty()) {
                LOG.warn(
                        "upstream tool call {} never got a name; dropped (arguments: {})",
                        c.id,
                        abbreviate(c.args.text()));
                c.state = State.DROPPED;
                continue;
            }
            if (c.state == State.PENDING) {
                start(c, closeOpen);
            }
            if (!finish(c, true, finishReason)) {
                return false;
            }
        }
        live = null;
        return true;
    }

    /** The open tool block gives way: its call ends as at the stream's end. */
    void closeLive(String finishReason) {
        if (live != null) {
            finish(live, true, finishReason);
            live = null;
        } else {
            events.stopBlock();
        }
    }

    private void start(ToolCall c, Runnable closeOpen) {
        closeOpen.run();
        if (c.id.isEmpty()) {
            c.id = "toolu_" + (messageId.startsWith("msg_") ? messageId.substring(4) : messageId) + "_" + c.seq;
        }
        c.id = ToolCallAssembler.safeId(c.id);
        events.openBlock(
                Block.TOOL,
                F.objectNode()
                        .put("type", "tool_use")
                        .put("id", c.id)
                        .put("name", c.name)
                        .set("input", F.objectNode()));
        c.state = State.OPEN;
    }

    /** Emits the call's input and stops its block; false when the stream failed instead. */
    private boolean finish(ToolCall c, boolean atEnd, String finishReason) {
        ToolArguments a = c.args;
        if (a.complete()) {
            String obj = a.text();
            if (!isJsonObject(obj)) {
                events.fail(
                        "api_error",
                        "upstream sent invalid JSON arguments for tool call " + c.id + " (" + c.name + "): "
                                + abbreviate(obj));
                return false;
            }
            events.delta("input_json_delta", "partial_json", obj);
            if (!a.extra().isBlank()) {
                LOG.warn(
                        "tool call {} ({}) streamed more than one JSON object; kept the first, dropped: {}",
                        c.id,
                        c.name,
                        abbreviate(a.extra()));
            }
        } else if (atEnd && !a.blank()) {
            if (!"length".equals(finishReason)) {
                events.fail(
                        "api_error",
                        "upstream ended tool call " + c.id + " (" + c.name + ") with incomplete JSON arguments: "
                                + abbreviate(a.text()));
                return false;
            }
            events.delta("input_json_delta", "partial_json", a.text());
        }
        events.stopBlock();
        c.state = State.STOPPED;
        return true;
    }

    private static boolean isJsonObject(String s) {
        try {
            JsonNode n = JSON.readTree(s);
            return n != null && n.isObject();
        } catch (Exception e) {
            return false;
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
