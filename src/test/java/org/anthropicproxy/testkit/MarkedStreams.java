package org.anthropicproxy.testkit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Upstream answers whose every text delta carries the marker found in the request ({@code soak-<worker>-<seq>}), so a
 * client can tell its own stream from anyone else's: delta {@code i} is {@code "<marker>#i "}.
 */
public final class MarkedStreams {

    private static final Pattern MARKER = Pattern.compile("soak-\\d+-\\d+");

    private MarkedStreams() {}

    public static String marker(RecordedRequest r) {
        Matcher m = MARKER.matcher(r.bodyText());
        return m.find() ? m.group() : "no-marker";
    }

    public static List<String> expectedDeltas(String marker, int deltas) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < deltas; i++) {
            out.add(marker + "#" + i + " ");
        }
        return out;
    }

    /** An Anthropic event stream with {@code deltas} marked text deltas, one event per write, {@code pause} apart. */
    public static UpstreamScript anthropic(RecordedRequest r, int deltas, Duration pause) {
        String marker = marker(r);
        StringBuilder sb = new StringBuilder();
        sb.append(event(
                "message_start",
                "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_" + marker + "\",\"type\":\"message\","
                        + "\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                        + "\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}"));
        sb.append(event(
                "content_block_start",
                "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"));
        for (String d : expectedDeltas(marker, deltas)) {
            sb.append(event(
                    "content_block_delta",
                    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"" + d
                            + "\"}}"));
        }
        sb.append(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"));
        sb.append(event(
                "message_delta",
                "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":"
                        + deltas + "}}"));
        sb.append(event("message_stop", "{\"type\":\"message_stop\"}"));
        return UpstreamScript.sse(sb.toString()).withPause(pause);
    }

    /** The same content as OpenAI Chat Completions chunks. */
    public static UpstreamScript openai(RecordedRequest r, int deltas, Duration pause) {
        String marker = marker(r);
        StringBuilder sb = new StringBuilder();
        String id =
                "\"id\":\"chatcmpl-" + marker + "\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\"";
        sb.append(
                "data: {" + id
                        + ",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
        for (String d : expectedDeltas(marker, deltas)) {
            sb.append("data: {" + id + ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + d
                    + "\"},\"finish_reason\":null}]}\n\n");
        }
        sb.append("data: {" + id + ",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
        sb.append("data: {" + id + ",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":" + deltas
                + ",\"total_tokens\":" + (5 + deltas) + "}}\n\n");
        sb.append("data: [DONE]\n\n");
        return new UpstreamScript(
                200,
                Map.of("content-type", "text/event-stream"),
                UpstreamScript.splitEvents(sb.toString()),
                pause,
                false,
                Duration.ZERO);
    }

    private static String event(String name, String json) {
        return "event: " + name + "\ndata: " + json + "\n\n";
    }

    /** The text deltas of an Anthropic SSE body, in order. */
    public static List<String> textDeltas(byte[] sse) {
        List<String> out = new ArrayList<>();
        for (AnthropicEventRecorder.Event e : AnthropicEventRecorder.parseSse(sse)) {
            if (e.type().equals("content_block_delta")) {
                Matcher m = Pattern.compile("\"text\":\"([^\"]*)\"").matcher(e.json());
                if (m.find()) {
                    out.add(m.group(1));
                }
            }
        }
        return out;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
