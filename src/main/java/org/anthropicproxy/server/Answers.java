package org.anthropicproxy.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.anthropicproxy.json.ErrorBody;
import org.anthropicproxy.json.Json;
import org.eclipse.jetty.http.HttpFields;

/** The proxy's own small answers: JSON bodies, Anthropic-shaped errors and 405s, written blocking to a sink. */
final class Answers {

    private Answers() {}

    static Served json(JettyClientSink sink, int status, ObjectNode body) throws IOException {
        sink.respond(status, jsonHeaders(), Json.bytes(body));
        return Served.plain();
    }

    static Served wrongMethod(JettyClientSink sink, String method, String path, String allowed) throws IOException {
        HttpFields.Mutable h = jsonHeaders();
        h.put("allow", allowed);
        h.put(ErrorBody.SHOULD_RETRY, "false");
        sink.respond(
                405,
                h,
                ErrorBody.bytes(
                        "not_found_error", "Method " + method + " not allowed on " + path + " (use " + allowed + ")"));
        return Served.note("method not allowed");
    }

    static void error(JettyClientSink sink, int status, String type, String message) throws IOException {
        HttpFields.Mutable h = jsonHeaders();
        if (ErrorBody.retryCannotFix(status)) {
            // the Anthropic SDKs and Claude Code retry 4xx answers (401 included) unless told not to (ShouldRetryIT)
            h.put(ErrorBody.SHOULD_RETRY, "false");
        }
        sink.respond(status, h, ErrorBody.bytes(type, message));
    }

    static HttpFields.Mutable jsonHeaders() {
        return HttpFields.build().put("content-type", "application/json");
    }
}
