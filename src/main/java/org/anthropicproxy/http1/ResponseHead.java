package org.anthropicproxy.http1;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpStatus;

/** The status line and header block of an answer, as bytes. */
final class ResponseHead {

    private ResponseHead() {}

    static ByteBuffer encode(String versionAndSpace, int status, HttpFields headers) {
        StringBuilder b =
                new StringBuilder(256).append(versionAndSpace).append(status).append(' ');
        String reason = HttpStatus.getMessage(status);
        b.append(reason == null ? "" : reason).append("\r\n");
        for (HttpField f : headers) {
            String value = f.getValue();
            b.append(f.getName())
                    .append(": ")
                    .append(value == null ? "" : value)
                    .append("\r\n");
        }
        b.append("\r\n");
        return ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.ISO_8859_1));
    }
}
