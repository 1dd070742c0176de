package org.anthropicproxy.provider;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import org.anthropicproxy.json.ErrorBody;
import org.anthropicproxy.json.Json;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.util.Callback;

/**
 * The answer a client gets when every provider it tried failed: the last provider's status and error type (500 stays
 * {@code api_error} 500, 529 {@code overloaded_error}, unreachable 502, too slow 504), with a message naming each
 * provider tried and how it failed, on one line. A last answer that was a stream (an {@code error} event before any
 * content) is replayed as the provider wrote it. Guarded by {@code HealthFailoverIT}.
 */
final class ChainFailure {

    private static final int MAX_MESSAGE = 2000;

    private ChainFailure() {}

    /** @param attempts one "provider: how it failed" per provider tried, in order */
    static void writeTo(ClientSink client, Outcome.Failed last, List<String> attempts) throws IOException {
        Captured answer = new Captured();
        try {
            last.replay().writeTo(answer);
        } catch (NotPlain e) {
            answer.status = 0;
        }
        if (answer.status < 400) {
            last.replay().writeTo(client);
            return;
        }
        String message = "Every provider failed: " + String.join("; ", attempts).replaceAll("\\s+", " ");
        if (message.length() > MAX_MESSAGE) {
            message = message.substring(0, MAX_MESSAGE) + "…";
        }
        HttpFields.Mutable headers = HttpFields.build().put("content-type", "application/json");
        for (String kept : List.of("retry-after", "x-should-retry")) {
            HttpField f = answer.headers == null ? null : answer.headers.getField(kept);
            if (f != null) {
                headers.put(f);
            }
        }
        client.respond(answer.status, headers, ErrorBody.bytes(type(answer), message));
    }

    private static String type(Captured answer) {
        JsonNode type =
                answer.body == null ? null : json(answer.body).path("error").get("type");
        return type != null && type.isTextual() && !type.asText().isBlank()
                ? type.asText()
                : ErrorBody.typeFor(answer.status);
    }

    private static JsonNode json(byte[] body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException | RuntimeException e) {
            return Json.object();
        }
    }

    /** The replay was a stream, which is passed on untouched. */
    private static final class NotPlain extends IOException {
        NotPlain() {
            super("a stream");
        }
    }

    /** Keeps a plain answer; refuses a stream. */
    private static final class Captured implements ClientSink {
        int status;
        HttpFields headers;
        byte[] body;

        @Override
        public boolean committed() {
            return false;
        }

        @Override
        public void respond(int status, HttpFields headers, byte[] body) {
            this.status = status;
            this.headers = headers;
            this.body = body;
        }

        @Override
        public void respondAsync(int status, HttpFields headers, byte[] body, Callback done) {
            respond(status, headers, body);
            done.succeeded();
        }

        @Override
        public void startStream(int status, HttpFields headers) throws IOException {
            throw new NotPlain();
        }

        @Override
        public void writeEvents(byte[] bytes, int off, int len) throws IOException {
            throw new NotPlain();
        }

        @Override
        public void startStreamAsync(int status, HttpFields headers, byte[] bytes, int off, int len, Callback done) {
            done.failed(new NotPlain());
        }

        @Override
        public void writeEventsAsync(byte[] bytes, int off, int len, Callback done) {
            done.failed(new NotPlain());
        }

        @Override
        public void onClientGone(Runnable action) {}

        @Override
        public void writeEvent(String type, String json) throws IOException {
            throw new NotPlain();
        }
    }
}
