package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.core.io.SerializedString;
import java.util.List;

/**
 * A request's {@code system} value or one of its messages, mapped on its own. Such a part depends only on its bytes,
 * its position (notes name it) and the dialect, so a part sent again (Claude Code re-sends the whole conversation
 * every turn) is replayed instead of parsed and mapped again. Never modified after it is built: several requests read
 * it at once.
 *
 * @param role      the client message's role ("system" for the top-level value)
 * @param json      the OpenAI messages it became, each serialized, written as is into the body
 * @param firstRole the first of those messages' role, or null when it became none
 * @param notes     the notes its mapping made, {@code {onceKey, text}} (key null: a note made every time), in order,
 *                  including once-notes an earlier part had already made
 * @param longNames the client tool names it used that the upstream gets shortened, in order, to register again
 */
record MappedPart(
        String role, List<SerializedString> json, String firstRole, List<String[]> notes, List<String> longNames) {

    MappedPart {
        json = List.copyOf(json);
        notes = List.copyOf(notes);
        longNames = List.copyOf(longNames);
    }

    /** Bytes it holds, about: the serialized messages twice (chars, then UTF-8 once written) and the notes. */
    long weight() {
        long w = 64;
        for (SerializedString s : json) {
            w += 3L * s.charLength();
        }
        for (String[] n : notes) {
            w += 2L * n[1].length();
        }
        return w;
    }
}
