package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.FutureTask;
import org.anthropicproxy.json.ErrorBody;
import org.anthropicproxy.json.Json;
import org.anthropicproxy.provider.Call;
import org.anthropicproxy.provider.ClientSink;
import org.anthropicproxy.provider.Failures;
import org.anthropicproxy.provider.Outcome;
import org.anthropicproxy.provider.UpstreamError;
import org.anthropicproxy.provider.UpstreamHttp;
import org.anthropicproxy.provider.Usage;
import org.eclipse.jetty.http.HttpFields;

/** Owns the whole-completion path of {@link OpenAiProvider}: a non-stream answer read, mapped and served. */
final class WholeCompletion {

    private static final HttpFields JSON = Failures.JSON;

    private final ResponseMapper responseMapper;

    WholeCompletion(ResponseMapper responseMapper) {
        this.responseMapper = responseMapper;
    }

    Outcome whole(
            Call call,
            ClientSink client,
            UpstreamHttp.Exchange ex,
            MappedRequest mapped,
            String upstreamModel,
            FutureTask<Long> inputEstimate) {
        try {
            byte[] raw = ex.readBody(OpenAiProvider.MAX_RESPONSE_BODY);
            JsonNode completion = Json.MAPPER.readTree(raw);
            if (completion == null || !completion.isObject() || completion.has("error") && !completion.has("choices")) {
                String body = new String(raw, StandardCharsets.UTF_8);
                AnthropicError e = ErrorMapper.map(502, ex.headerMap(), body);
                return new Outcome.Failed(
                        new UpstreamError(502, ex.headerMap(), body, false),
                        upstreamModel,
                        c -> c.respond(e.status(), JSON, e.toJson().getBytes(StandardCharsets.UTF_8)));
            }
            ObjectNode message = responseMapper.toAnthropic(
                    completion,
                    call.clientModel(),
                    mapped.toolNames(),
                    mapped.stopSequences(),
                    () -> OpenAiProvider.estimateInput(call, inputEstimate));
            client.respond(200, JSON, Json.bytes(message));
            JsonNode u = message.path("usage");
            return new Outcome.Served(
                    200,
                    upstreamModel,
                    new Usage(
                            u.path("input_tokens").asLong(),
                            u.path("output_tokens").asLong(),
                            u.path("cache_read_input_tokens").asLong(),
                            u.path("cache_creation_input_tokens").asLong()),
                    null);
        } catch (IOException e) {
            String m = "upstream sent an unreadable response: " + e.getClass().getSimpleName();
            return new Outcome.Failed(
                    UpstreamError.noAnswer(m),
                    upstreamModel,
                    c -> c.respond(502, JSON, ErrorBody.bytes("api_error", m)));
        }
    }
}
