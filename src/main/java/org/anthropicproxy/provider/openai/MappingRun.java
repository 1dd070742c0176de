package org.anthropicproxy.provider.openai;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One request's mapping state, shared by the part mappers ({@link SystemMapper}, {@link ContentPartMapper},
 * {@link MessageMapper}, {@link ToolMapper}, {@link ParameterMapper}): the notes made and the tool names registered.
 * While a part is recorded for reuse ({@link #beginPart}), every note it makes and every shortened tool name it uses
 * is kept apart as well, so a replay of the part reproduces them exactly ({@code PartReuseTest} compares a
 * replayed mapping with a fresh one).
 */
final class MappingRun {

    static final String CACHE_CONTROL_NOTE_KEY = "cache_control";
    static final String CACHE_CONTROL_NOTE = "cache_control removed (dialect keep_cache_control is off)";

    final OpenAiDialect dialect;
    final ToolNameMap names;
    final List<String> notes = new ArrayList<>();
    private final Set<String> noteKeys = new LinkedHashSet<>();
    private List<String[]> partNotes;
    private List<String> partNames;

    MappingRun(OpenAiDialect dialect) {
        this.dialect = dialect;
        this.names = new ToolNameMap(dialect.maxToolNameLength());
    }

    void note(String s) {
        if (partNotes != null) {
            partNotes.add(new String[] {null, s});
        }
        notes.add(s);
    }

    /** Notes a kind of change once per request. */
    void noteOnce(String key, String s) {
        if (partNotes != null) {
            partNotes.add(new String[] {key, s});
        }
        if (noteKeys.add(key)) {
            notes.add(s);
        }
    }

    /** Notes made when a part or a tool list was mapped before: {@code {onceKey, text}}, the key null for an every-time note. */
    void replayNotes(List<String[]> made) {
        for (String[] n : made) {
            if (n[0] == null) {
                note(n[1]);
            } else {
                noteOnce(n[0], n[1]);
            }
        }
    }

    void dropCacheControl() {
        noteOnce(CACHE_CONTROL_NOTE_KEY, CACHE_CONTROL_NOTE);
    }

    /** The upstream's name for a client tool, registered for the answer's mapping back. */
    String upstreamName(String clientName) {
        String up = names.toUpstream(clientName);
        if (partNames != null && !up.equals(clientName)) {
            partNames.add(clientName);
        }
        return up;
    }

    /** Starts keeping apart what the next part's mapping notes and names. */
    void beginPart() {
        partNotes = new ArrayList<>();
        partNames = new ArrayList<>();
    }

    List<String[]> partNotes() {
        return partNotes;
    }

    List<String> partNames() {
        return partNames;
    }

    void endPart() {
        partNotes = null;
        partNames = null;
    }
}
