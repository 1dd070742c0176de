package org.anthropicproxy.http1;

import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.io.EofException;

/** A request body that cannot be read on (cut short, broken chunk framing): the client's fault, a 400. */
final class BadBody extends EofException implements HttpException {

    BadBody(String reason) {
        super(reason);
    }

    @Override
    public int getCode() {
        return 400;
    }

    @Override
    public String getReason() {
        return getMessage();
    }
}
