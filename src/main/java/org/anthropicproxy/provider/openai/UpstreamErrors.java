package org.anthropicproxy.provider.openai;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.anthropicproxy.json.ErrorBody;
import org.anthropicproxy.provider.Outcome;
import org.anthropicproxy.provider.SecretRedactor;
import org.anthropicproxy.provider.UpstreamError;
import org.anthropicproxy.provider.UpstreamHttp;
import org.eclipse.jetty.http.HttpFields;

/** Owns the upstream's error answers for {@link OpenAiProvider}: a 4xx/5xx mapped, secrets redacted, status by type. */
final class UpstreamErrors {

    private static final int MAX_ERROR_BODY = 1024 * 1024;

    private UpstreamErrors() {}

    /** An in-band error's raw text (logged, classified) without the credential we sent, should the upstream echo it. */
    static Outcome withoutSecret(Outcome o, String secret) {
        if (o instanceof Outcome.Failed f && f.failure() != null) {
            UpstreamError e = f.failure();
            return new Outcome.Failed(
                    new UpstreamError(
                            e.status(),
                            e.headers(),
                            SecretRedactor.withoutSecret(e.body(), secret),
                            e.connectFailure()),
                    f.upstreamModel(),
                    f.replay());
        }
        return o;
    }

    static Outcome httpError(UpstreamHttp.Exchange ex, String upstreamModel, String secret) {
        byte[] body;
        try {
            body = ex.readBody(MAX_ERROR_BODY);
        } catch (IOException e) {
            body = new byte[0];
        }
        // the upstream may echo the key we sent ("Incorrect API key provided: …"): neither logs nor client see it
        String text = SecretRedactor.withoutSecret(new String(body, StandardCharsets.UTF_8), secret);
        Map<String, List<String>> headers = ex.headerMap();
        AnthropicError mapped = ErrorMapper.map(ex.status(), headers, text);
        HttpFields.Mutable h = HttpFields.build().put("content-type", "application/json");
        mapped.retryAfterSeconds().ifPresent(s -> h.put("retry-after", Long.toString(s)));
        String shouldRetry = ex.headers().get(ErrorBody.SHOULD_RETRY);
        if (shouldRetry != null) {
            h.put(ErrorBody.SHOULD_RETRY, shouldRetry); // the upstream knows best whether its error is worth a retry
        }
        byte[] out = mapped.toJson().getBytes(StandardCharsets.UTF_8);
        return new Outcome.Failed(
                new UpstreamError(ex.status(), headers, text, false),
                upstreamModel,
                c -> c.respond(mapped.status(), h, out));
    }

    static int statusFor(String type) {
        return switch (type) {
            case "invalid_request_error" -> 400;
            case "authentication_error" -> 401;
            case "permission_error" -> 403;
            case "not_found_error" -> 404;
            case "request_too_large" -> 413;
            case "rate_limit_error" -> 429;
            case "overloaded_error" -> 529;
            case "timeout_error" -> 504;
            default -> 502;
        };
    }
}
