package org.anthropicproxy.provider;

import org.anthropicproxy.json.MessagesRequestScan;
import org.eclipse.jetty.http.HttpFields;

/**
 * One client request as providers see it.
 *
 * @param holdUntilContent a later provider could still take this request, so a stream's opening events are held
 *                         back until the first content event: an error before it stays invisible to the client
 */
public record Call(
        String requestId,
        String path,
        String query,
        HttpFields headers,
        byte[] body,
        MessagesRequestScan scan,
        boolean holdUntilContent) {

    public String clientModel() {
        return scan.model();
    }

    public boolean stream() {
        return scan.stream();
    }

    public Call withHold(boolean hold) {
        return new Call(requestId, path, query, headers, body, scan, hold);
    }
}
