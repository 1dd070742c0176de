package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Puts streamed tool-call fragments back together into calls, in the order they began. Dialects disagree on how a
 * fragment names its call ({@code StreamFixturesTest} replays each vendor's capture): by {@code index} (a new non-empty
 * id on a known index = a new call), else by a new id, else by position in a multi-call delta, else it continues the
 * last call. Empty ids and names never overwrite known ones.
 */
final class ToolCallAssembler {

    /** Where one call is: not yet a block, an open tool_use block, stopped, or dropped (it never got a name). */
    enum State {
        PENDING,
        OPEN,
        STOPPED,
        DROPPED
    }

    /** One call being assembled. */
    static final class ToolCall {
        final int seq;
        String id = "";
        String name = "";
        final ToolArguments args = new ToolArguments();
        State state = State.PENDING;

        ToolCall(int seq) {
            this.seq = seq;
        }

        boolean done() {
            return state == State.STOPPED || state == State.DROPPED;
        }
    }

    private static final Pattern NOT_ID_CHAR = Pattern.compile("[^A-Za-z0-9_-]");

    private final Map<String, ToolCall> calls = new LinkedHashMap<>();
    private final Map<Integer, String> keyByIndex = new HashMap<>();
    private final Map<String, String> keyById = new HashMap<>();
    private final ToolNameMap names;
    private String lastKey;

    ToolCallAssembler(ToolNameMap names) {
        this.names = names;
    }

    boolean isEmpty() {
        return calls.isEmpty();
    }

    /** Every call, in the order they began. */
    List<ToolCall> all() {
        return List.copyOf(calls.values());
    }

    /** The first call not yet stopped, or null. */
    ToolCall nextPending() {
        for (ToolCall c : calls.values()) {
            if (!c.done()) {
                return c;
            }
        }
        return null;
    }

    /** Whether a tool_use block was started: the stop reason is then {@code tool_use}. */
    boolean anyOpened() {
        for (ToolCall c : calls.values()) {
            if (c.state == State.OPEN || c.state == State.STOPPED) {
                return true;
            }
        }
        return false;
    }

    /**
     * The call that entry {@code pos} of a {@code tool_calls} delta of {@code count} entries belongs to, with its id and
     * name taken when it had none yet; its arguments are the caller's to append.
     */
    ToolCall merge(JsonNode tc, int pos, int count) {
        String id = tc.path("id").isTextual() ? tc.get("id").asText() : "";
        String key = keyFor(tc, id, pos, count);
        ToolCall c = calls.computeIfAbsent(key, k -> new ToolCall(calls.size()));
        lastKey = key;
        if (!id.isEmpty() && c.id.isEmpty()) {
            c.id = id;
            keyById.put(id, key);
        }
        JsonNode fn = tc.path("function");
        String name = fn.path("name").isTextual() ? fn.get("name").asText() : "";
        if (!name.isEmpty() && c.name.isEmpty()) {
            c.name = names.toClient(name);
        }
        return c;
    }

    private String keyFor(JsonNode tc, String id, int pos, int count) {
        JsonNode idx = tc.get("index");
        if (idx != null && idx.canConvertToInt() && idx.isNumber()) {
            int i = idx.asInt();
            String key = keyByIndex.get(i);
            if (key != null) {
                ToolCall known = calls.get(key);
                if (!id.isEmpty() && !known.id.isEmpty() && !id.equals(known.id) && !keyById.containsKey(id)) {
                    key = null; // same index reused for a different call
                }
            }
            if (key == null) {
                key = "i" + i + "#" + calls.size();
                keyByIndex.put(i, key);
            }
            return key;
        }
        if (!id.isEmpty()) {
            return keyById.getOrDefault(id, "id#" + calls.size());
        }
        if (count > 1) {
            return "p" + pos;
        }
        return lastKey != null ? lastKey : "p0";
    }

    /** Characters outside {@code [A-Za-z0-9_-]} become {@code _} (no regex for the usual id that needs none). */
    static String safeId(String id) {
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return NOT_ID_CHAR.matcher(id).replaceAll("_");
            }
        }
        return id;
    }
}
