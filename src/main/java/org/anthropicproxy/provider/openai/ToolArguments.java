package org.anthropicproxy.provider.openai;

/**
 * Buffers one tool call's streamed {@code arguments} and finds where the first complete top-level JSON object ends
 * (depth scan outside strings, escapes honoured), whichever way the fragments are split. Everything after that object
 * is kept apart as {@link #extra()}: CodeBuddy sometimes streams several objects back to back ({@code {..}{..}}) and
 * only the first one is the call's input.
 */
final class ToolArguments {

    private final StringBuilder object = new StringBuilder();
    private final StringBuilder extra = new StringBuilder();
    private int depth;
    private boolean inString;
    private boolean escape;
    private boolean started;
    private boolean complete;
    private boolean notAnObject;

    void append(String fragment) {
        for (int i = 0; i < fragment.length(); i++) {
            char c = fragment.charAt(i);
            if (complete || notAnObject) {
                (complete ? extra : object).append(c);
                continue;
            }
            object.append(c);
            if (!started) {
                if (Character.isWhitespace(c)) {
                    continue;
                }
                if (c != '{') {
                    notAnObject = true;
                    continue;
                }
                started = true;
                depth = 1;
                continue;
            }
            if (inString) {
                if (escape) {
                    escape = false;
                } else if (c == '\\') {
                    escape = true;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
                if (depth == 0) {
                    complete = true;
                }
            }
        }
    }

    /** The first top-level object is closed (brackets balanced). */
    boolean complete() {
        return complete;
    }

    /** Nothing but whitespace so far. */
    boolean blank() {
        return object.toString().isBlank();
    }

    /** The buffered text of the first object (trimmed), or the raw text when it is not (yet) an object. */
    String text() {
        return object.toString().strip();
    }

    /** Text after the first complete object. */
    String extra() {
        return extra.toString();
    }
}
