package org.anthropicproxy.credentials;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

/**
 * {@code ~/.claude-internal/config.json} as written by {@code claude-internal}:
 * {@code {"accessToken", "refreshToken", "expiresAt" (epoch ms, 0 = never)}}, refreshed by a form-encoded OAuth
 * refresh with the old access token in the {@code OAUTH-TOKEN} header.
 */
final class ClaudeInternalConfigFormat implements TokenFileFormat {
    static final String DEFAULT_REFRESH_URL = "https://copilot.code.woa.com/api/v2/auth/oauth_token/refresh";
    static final String DEFAULT_CLIENT_ID = "claude-code-internal";
    static final String LOGIN_HINT = "log in with `claude-internal` (run it and complete the login), "
            + "which writes ~/.claude-internal/config.json";

    private final URI refreshUrl;
    private final String clientId;

    ClaudeInternalConfigFormat(URI refreshUrl, String clientId) {
        this.refreshUrl = refreshUrl;
        this.clientId = clientId;
    }

    @Override
    public StoredToken parse(ObjectNode doc) throws BadTokenFileException {
        String access = TokenFileJson.text(doc, "accessToken");
        String refresh = TokenFileJson.text(doc, "refreshToken");
        Long expiresAt = TokenFileJson.number(doc, "expiresAt");
        // The original tool requires all three; a file without them is half-written or from another tool.
        if (access == null) {
            throw new BadTokenFileException("has no accessToken");
        }
        if (refresh == null) {
            throw new BadTokenFileException("has no refreshToken");
        }
        if (expiresAt == null) {
            throw new BadTokenFileException("has no numeric expiresAt");
        }
        return new StoredToken(access, refresh, TokenFileJson.epoch(expiresAt), Map.of());
    }

    @Override
    public HttpRequest refreshRequest(StoredToken token) {
        String form = "refresh_token=" + enc(token.refreshToken()) + "&client_id=" + enc(clientId)
                + "&grant_type=refresh_token";
        return HttpRequest.newBuilder(refreshUrl)
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .header("OAUTH-TOKEN", token.accessToken())
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build();
    }

    @Override
    public RefreshedToken parseRefreshResponse(int status, byte[] body, Instant now) throws RefreshException {
        JsonNode f = RefreshResponses.tokenFields(status, body);
        String access = TokenFileJson.text(f, "access_token", "accessToken");
        if (access == null) {
            throw new RefreshException("refresh response has no access_token", false);
        }
        return new RefreshedToken(
                access,
                TokenFileJson.text(f, "refresh_token", "refreshToken"),
                RefreshResponses.expiry(f, now, null),
                null);
    }

    @Override
    public void apply(ObjectNode doc, StoredToken refreshed, RefreshedToken response, Instant now) {
        doc.put("accessToken", refreshed.accessToken());
        doc.put("refreshToken", refreshed.refreshToken());
        doc.put(
                "expiresAt",
                refreshed.expiresAt() == null ? 0L : refreshed.expiresAt().toEpochMilli());
    }

    @Override
    public String loginHint() {
        return LOGIN_HINT;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
