package org.anthropicproxy.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.anthropicproxy.credentials.CredentialStatus;
import org.anthropicproxy.credentials.CredentialUnavailableException;
import org.anthropicproxy.json.ErrorBody;
import org.anthropicproxy.json.Json;
import org.eclipse.jetty.http.HttpFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Outcomes every provider kind produces the same way, and the health block they share. */
public final class Failures {

    private static final Logger LOG = LoggerFactory.getLogger(Failures.class);
    public static final HttpFields JSON =
            HttpFields.build().put("content-type", "application/json").asImmutable();
    /** A local answer a retry cannot change: the Anthropic SDKs and Claude Code stop retrying at once (ShouldRetryIT). */
    static final HttpFields JSON_NO_RETRY = HttpFields.build()
            .put("content-type", "application/json")
            .put(ErrorBody.SHOULD_RETRY, "false")
            .asImmutable();

    private Failures() {}

    /** No answer from the upstream: 504 when it was too slow, else 502. */
    public static Outcome.Failed noAnswer(UpstreamHttp.NoAnswerException e, String upstreamModel) {
        int status = e.timeout() ? 504 : 502;
        String message = SecretRedactor.redact(e.getMessage());
        return new Outcome.Failed(
                UpstreamError.noAnswer(message),
                upstreamModel,
                c -> c.respond(status, JSON, ErrorBody.bytes(e.timeout() ? "timeout_error" : "api_error", message)));
    }

    /** The answer's body could not be read (the connection failed after the headers): nothing was sent yet. */
    public static Outcome.Failed readFailed(Throwable failure, String upstreamModel) {
        Throwable cause = unwrap(failure);
        String m = "upstream connection failed while reading the response: "
                + cause.getClass().getSimpleName();
        return new Outcome.Failed(
                UpstreamError.noAnswer(m), upstreamModel, c -> c.respond(502, JSON, ErrorBody.bytes("api_error", m)));
    }

    /** A request sent without waiting failed before its headers ({@link UpstreamHttp#postAsync}): as {@link #noAnswer}. */
    public static Outcome.Failed notAnswered(Throwable failure, String upstreamModel) {
        return unwrap(failure) instanceof UpstreamHttp.NoAnswerException n
                ? noAnswer(n, upstreamModel)
                : readFailed(failure, upstreamModel);
    }

    private static Throwable unwrap(Throwable failure) {
        return (failure instanceof CompletionException || failure instanceof ExecutionException)
                        && failure.getCause() != null
                ? failure.getCause()
                : failure;
    }

    /** An error the proxy itself answers (request cannot be mapped, no credential): never a reason to fail over. */
    public static Outcome.Failed local(int status, String type, String message, String upstreamModel) {
        byte[] body = ErrorBody.bytes(type, message);
        HttpFields headers = ErrorBody.retryCannotFix(status) ? JSON_NO_RETRY : JSON;
        return new Outcome.Failed(
                new UpstreamError(status, Map.of(), new String(body, StandardCharsets.UTF_8), false),
                upstreamModel,
                c -> c.respond(status, headers, body));
    }

    public static Outcome.Failed noCredential(String provider, CredentialUnavailableException e, String upstreamModel) {
        LOG.warn("no credential for provider {}: {}", provider, e.getMessage());
        String message = "provider '" + provider + "': " + e.getMessage();
        byte[] body = ErrorBody.bytes("authentication_error", message);
        return new Outcome.Failed(
                new UpstreamError(401, Map.of(), new String(body, StandardCharsets.UTF_8), false),
                upstreamModel,
                new NoCredential(message, body));
    }

    /**
     * The answer of a provider that had no credential; {@link Router} joins those of a whole chain into one 401 that
     * names every provider tried and its login command.
     */
    record NoCredential(String clause, byte[] body) implements Outcome.Replay {
        @Override
        public void writeTo(ClientSink client) throws IOException {
            client.respond(401, JSON_NO_RETRY, body);
        }
    }

    public static ObjectNode health(String name, String kind, String baseUrl, CredentialStatus cs) {
        ObjectNode n = Json.object();
        n.put("name", name);
        n.put("kind", kind);
        n.put("base_url", baseUrl);
        ObjectNode c = n.putObject("credential");
        c.put("source", cs.source());
        c.put("available", cs.available());
        if (cs.expiresAt() != null) {
            c.put("expires_at", cs.expiresAt().toString());
            c.put(
                    "expires_in_seconds",
                    Math.max(0, cs.expiresAt().getEpochSecond() - Instant.now().getEpochSecond()));
        }
        if (cs.lastRefreshAt() != null) {
            c.put("last_refresh_at", cs.lastRefreshAt().toString());
        }
        if (cs.lastRefreshOutcome() != null) {
            c.put("last_refresh", cs.lastRefreshOutcome());
        }
        return n;
    }
}
