package org.anthropicproxy.http1;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpParser;

/**
 * What the parser has reported of the message a connection is reading: its headers, whether they are complete, the
 * body part just parsed (a view of the input buffer), whether the message ended. The parser is driven step by step:
 * each report that a reader must act on (headers complete, a body part, the end) stops it. Guarded by the
 * connection's lock, as the parser is.
 */
abstract class ParsedMessage implements HttpParser.HttpHandler {

    HttpFields.Mutable fields = HttpFields.build();
    boolean headerDone;
    ByteBuffer content;
    boolean messageDone;

    /** Forgets the message, for the next one on the connection. */
    void clearMessage() {
        fields = HttpFields.build();
        headerDone = false;
        content = null;
        messageDone = false;
    }

    @Override
    public void parsedHeader(HttpField field) {
        fields.add(field);
    }

    @Override
    public boolean headerComplete() {
        headerDone = true;
        return true;
    }

    @Override
    public boolean content(ByteBuffer item) {
        content = item;
        return true;
    }

    @Override
    public boolean contentComplete() {
        return false;
    }

    @Override
    public boolean messageComplete() {
        messageDone = true;
        return true;
    }
}
