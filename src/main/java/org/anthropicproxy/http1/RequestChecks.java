package org.anthropicproxy.http1;

import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;

/**
 * What a request head must pass before it reaches a handler, beyond what the parser checks: a target that decodes
 * (nginx answers {@code GET /%zz} 400 and closes; a throw on the I/O thread would leave the connection hanging), and
 * no transfer coding but {@code chunked}, which the server cannot decode (501, as nginx). Guarded by
 * {@code hostile.MalformedRequestsIT}.
 */
final class RequestChecks {

    private RequestChecks() {}

    /** Why the request is refused, or null when it may go on. */
    static HttpException refusal(String target, HttpFields headers) {
        for (HttpField f : headers) {
            if (f.getHeader() == HttpHeader.TRANSFER_ENCODING
                    && !"chunked".equalsIgnoreCase(f.getValue().trim())) {
                return new HttpException.RuntimeException(
                        501, "Transfer-Encoding " + f.getValue() + " is not supported");
            }
        }
        if (target == null || target.isEmpty()) {
            return new HttpException.RuntimeException(400, "Missing request target");
        }
        try {
            HttpURI uri = HttpURI.from(target);
            String path = uri.getDecodedPath();
            if (path == null || path.indexOf('\0') >= 0) {
                return new HttpException.RuntimeException(400, "Bad request target");
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            return new HttpException.RuntimeException(400, "Bad request target");
        }
        return null;
    }
}
