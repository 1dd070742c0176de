package org.anthropicproxy.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI Chat Completions answers as real upstreams send them (OpenAI's Chat Completions and streaming references): {@code chat.completion.chunk}
 * streams of {@code data: {…}\n\n} events with a shared id/created/model, {@code "usage":null} on every chunk while
 * {@code stream_options.include_usage} is on, a usage-only chunk with {@code "choices":[]} after the finish chunk, and
 * {@code data: [DONE]}; and whole {@code chat.completion} objects.
 */
public final class OpenAiUpstreamScripts {

    private static final ObjectMapper JSON = new ObjectMapper();

    private OpenAiUpstreamScripts() {}

    /** A stream with the usual opening chunk ({@code role:assistant, content:""}) already written. */
    public static Stream stream(String model) {
        return new Stream("chatcmpl-sim" + Long.toHexString(System.nanoTime()), model).role();
    }

    /** A usage object: {@code prompt_tokens} (including {@code cached}), {@code completion_tokens}, totals and details. */
    public static ObjectNode usage(long prompt, long completion, long cached) {
        ObjectNode u = JSON.createObjectNode()
                .put("prompt_tokens", prompt)
                .put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
        u.putObject("prompt_tokens_details").put("cached_tokens", cached).put("audio_tokens", 0);
        u.putObject("completion_tokens_details").put("reasoning_tokens", 0).put("audio_tokens", 0);
        return u;
    }

    /** One {@code tool_calls[]} entry; null id/name/arguments are left out (continuation fragments carry only index + arguments). */
    public static ObjectNode toolCall(int index, String id, String name, String arguments) {
        ObjectNode tc = JSON.createObjectNode().put("index", index);
        if (id != null) {
            tc.put("id", id).put("type", "function");
        }
        ObjectNode fn = tc.putObject("function");
        if (name != null) {
            fn.put("name", name);
        }
        if (arguments != null) {
            fn.put("arguments", arguments);
        }
        return tc;
    }

    /** A whole {@code chat.completion}: text (may be null), tool calls (entries {id, name, arguments}), finish_reason, usage. */
    public static String completion(
            String model, String text, List<String[]> toolCalls, String finishReason, ObjectNode usage) {
        ObjectNode c = JSON.createObjectNode()
                .put("id", "chatcmpl-sim" + Long.toHexString(System.nanoTime()))
                .put("object", "chat.completion")
                .put("created", 1764000000L)
                .put("model", model);
        ObjectNode choice = c.putArray("choices").addObject().put("index", 0);
        ObjectNode msg = choice.putObject("message").put("role", "assistant");
        if (text == null) {
            msg.putNull("content");
        } else {
            msg.put("content", text);
        }
        msg.putNull("refusal");
        if (toolCalls != null && !toolCalls.isEmpty()) {
            ArrayNode arr = msg.putArray("tool_calls");
            for (String[] t : toolCalls) {
                ObjectNode tc = arr.addObject().put("id", t[0]).put("type", "function");
                tc.putObject("function").put("name", t[1]).put("arguments", t[2]);
            }
        }
        msg.putArray("annotations");
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        if (usage != null) {
            c.set("usage", usage);
        }
        c.put("service_tier", "default").put("system_fingerprint", "fp_sim");
        return c.toString();
    }

    public static UpstreamScript completionScript(
            String model, String text, List<String[]> toolCalls, String finishReason, ObjectNode usage) {
        return UpstreamScript.json(200, completion(model, text, toolCalls, finishReason, usage));
    }

    /** Builds a chunk stream; every chunk is one SSE event, sent as its own write by the simulator. */
    public static final class Stream {
        private final String id;
        private final String model;
        private final List<String> events = new ArrayList<>();

        private Stream(String id, String model) {
            this.id = id;
            this.model = model;
        }

        private ObjectNode chunk() {
            return JSON.createObjectNode()
                    .put("id", id)
                    .put("object", "chat.completion.chunk")
                    .put("created", 1764000000L)
                    .put("model", model)
                    .put("system_fingerprint", "fp_sim");
        }

        /** A chunk for choice 0 with this delta and finish_reason (null = not finished). */
        public Stream delta(ObjectNode delta, String finishReason) {
            ObjectNode c = chunk();
            ObjectNode choice = c.putArray("choices").addObject().put("index", 0);
            choice.set("delta", delta);
            choice.putNull("logprobs");
            if (finishReason == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finishReason);
            }
            c.putNull("usage");
            return data(c.toString());
        }

        private Stream role() {
            return delta(JSON.createObjectNode().put("role", "assistant").put("content", ""), null);
        }

        public Stream text(String s) {
            return delta(JSON.createObjectNode().put("content", s), null);
        }

        public Stream reasoning(String s) {
            return delta(JSON.createObjectNode().putNull("content").put("reasoning_content", s), null);
        }

        /** A delta carrying these tool_calls entries (see {@link #toolCall}). */
        public Stream toolCalls(ObjectNode... calls) {
            ObjectNode d = JSON.createObjectNode();
            ArrayNode arr = d.putArray("tool_calls");
            for (ObjectNode c : calls) {
                arr.add(c);
            }
            return delta(d, null);
        }

        /** The finish chunk: empty delta, as OpenAI sends it. */
        public Stream finish(String reason) {
            return delta(JSON.createObjectNode(), reason);
        }

        /** The include_usage chunk: {@code choices:[]} plus usage. */
        public Stream usage(ObjectNode usage) {
            ObjectNode c = chunk();
            c.putArray("choices");
            c.set("usage", usage);
            return data(c.toString());
        }

        /** A raw {@code data:} payload (e.g. an error object). */
        public Stream data(String payload) {
            events.add("data: " + payload + "\n\n");
            return this;
        }

        public Stream done() {
            return data("[DONE]");
        }

        public String sse() {
            return String.join("", events);
        }

        public UpstreamScript script() {
            return UpstreamScript.sse(sse());
        }
    }
}
