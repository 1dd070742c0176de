package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A request's {@code tools} list mapped on its own: it depends on nothing else in the request (and the dialect), so a
 * list sent again — Claude Code sends the same one every turn — is reused instead of mapped again. Never modified
 * after it is built: several requests read it at once.
 *
 * @param functions   the OpenAI {@code tools} entries (empty when no client tool survives)
 * @param json        {@code functions} serialized, written as is into every body that reuses it
 * @param notes       the notes mapping the list made, replayed into each request's notes: {@code {onceKey, text}}, the
 *                    key null for a note made every time
 * @param clientNames the client tools sent, in order (their names registered for the answer's mapping back)
 * @param serverTools server tools met, as {@code name|type|tools.i}: refused or dropped depending on the rest
 */
record MappedTools(
        ArrayNode functions,
        SerializedString json,
        List<String[]> notes,
        Set<String> clientNames,
        List<String> serverTools) {

    MappedTools {
        notes = List.copyOf(notes);
        clientNames = Collections.unmodifiableSet(new LinkedHashSet<>(clientNames));
        serverTools = List.copyOf(serverTools);
    }
}
