package org.anthropicproxy.provider;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.anthropicproxy.json.ErrorBody;

/**
 * The 401 of a chain in which no provider had a credential: one clause per provider tried, each with why and the
 * login command that fixes it, so the client sees what the server log says (ShouldRetryIT).
 */
final class NoCredentialChain {

    private NoCredentialChain() {}

    static Outcome.Failed answer(List<Failures.NoCredential> tried, Outcome.Failed last) {
        StringBuilder sb = new StringBuilder("no provider of the chain has a usable credential. ");
        for (int i = 0; i < tried.size(); i++) {
            sb.append(i + 1).append(") ").append(tried.get(i).clause());
            if (i + 1 < tried.size()) {
                sb.append(' ');
            }
        }
        String message = sb.toString();
        byte[] body = ErrorBody.bytes("authentication_error", message);
        return new Outcome.Failed(
                new UpstreamError(401, Map.of(), new String(body, StandardCharsets.UTF_8), false),
                last.upstreamModel(),
                new Failures.NoCredential(message, body));
    }
}
