package org.anthropicproxy.credentials;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The CodeBuddy CLI / IDE plugin auth file ({@code .../CodeBuddyExtension/Data/Public/auth/*.info}):
 * {@code {"account": {uid, enterpriseId, sso: {domain}, …}, "auth": {accessToken, refreshToken, expiresAt (ms),
 * domain, …}, …}}, refreshed with {@code POST /v2/plugin/auth/token/refresh} and the refresh token in
 * {@code X-Refresh-Token}; the answer comes in the {@code {code, msg, data}} envelope.
 */
final class CodeBuddyAuthFileFormat implements TokenFileFormat {
    static final String DEFAULT_REFRESH_URL = "https://copilot.tencent.com/v2/plugin/auth/token/refresh";
    static final String REFRESH_PATH = "/v2/plugin/auth/token/refresh";
    static final String LOGIN_HINT = "log in with the CodeBuddy CLI: run `codebuddy` and complete /login";
    /** CLIProxyAPI assumes a day when the response carries no lifetime. */
    private static final Duration LIFETIME_WHEN_UNSAID = Duration.ofHours(24);

    /** Configured refresh URL, or null to derive it from the file's domain. */
    private final URI configuredRefreshUrl;

    CodeBuddyAuthFileFormat(URI configuredRefreshUrl) {
        this.configuredRefreshUrl = configuredRefreshUrl;
    }

    @Override
    public StoredToken parse(ObjectNode doc) throws BadTokenFileException {
        JsonNode auth = doc.get("auth");
        if (auth == null || !auth.isObject()) {
            throw new BadTokenFileException("has no auth object");
        }
        JsonNode accessNode = auth.get("accessToken");
        if (accessNode != null && accessNode.isObject() && accessNode.has("$wbEncrypted")) {
            throw new BadTokenFileException("holds an encrypted token (WorkBuddy encrypts its auth file; "
                    + "log in with the CodeBuddy CLI instead)");
        }
        String access = TokenFileJson.text(auth, "accessToken");
        if (access == null) {
            throw new BadTokenFileException("has no auth.accessToken");
        }
        Long expiresAt = TokenFileJson.number(auth, "expiresAt");
        JsonNode account = doc.get("account");
        Map<String, String> facts = new LinkedHashMap<>();
        putIfPresent(facts, "uid", TokenFileJson.text(account, "uid"));
        String enterpriseId = TokenFileJson.text(account, "enterpriseId");
        putIfPresent(facts, "enterpriseId", enterpriseId);
        // The CLI sends the enterprise id as X-Tenant-Id; a separate tenantId wins when a file carries one.
        String tenantId = TokenFileJson.text(account, "tenantId");
        putIfPresent(facts, "tenantId", tenantId != null ? tenantId : enterpriseId);
        String domain = TokenFileJson.text(auth, "domain");
        if (domain == null && account != null) {
            domain = TokenFileJson.text(account.get("sso"), "domain");
        }
        putIfPresent(facts, "domain", domain);
        return new StoredToken(
                access,
                TokenFileJson.text(auth, "refreshToken"),
                expiresAt == null ? null : TokenFileJson.epoch(expiresAt),
                facts);
    }

    /** Configured URL, else the account's own host, else the public default. */
    URI refreshUrlFor(StoredToken token) {
        if (configuredRefreshUrl != null) {
            return configuredRefreshUrl;
        }
        String domain = token.account().get("domain");
        if (domain != null && domain.matches("[A-Za-z0-9.\\-]+(:\\d+)?")) {
            return URI.create("https://" + domain + REFRESH_PATH);
        }
        return URI.create(DEFAULT_REFRESH_URL);
    }

    @Override
    public HttpRequest refreshRequest(StoredToken token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(refreshUrlFor(token))
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .header("Authorization", "Bearer " + token.accessToken())
                .header("X-Refresh-Token", token.refreshToken())
                .header("X-Auth-Refresh-Source", "plugin")
                .header("X-Product", "SaaS")
                .header("X-Request-ID", UUID.randomUUID().toString().replace("-", ""));
        Map<String, String> a = token.account();
        if (a.containsKey("uid")) {
            b.header("X-User-Id", a.get("uid"));
        }
        if (a.containsKey("domain")) {
            b.header("X-Domain", a.get("domain"));
        }
        if (a.containsKey("enterpriseId")) {
            b.header("X-Enterprise-Id", a.get("enterpriseId"));
        }
        if (a.containsKey("tenantId")) {
            b.header("X-Tenant-Id", a.get("tenantId"));
        }
        return b.POST(HttpRequest.BodyPublishers.ofString("{}")).build();
    }

    @Override
    public RefreshedToken parseRefreshResponse(int status, byte[] body, Instant now) throws RefreshException {
        JsonNode f = RefreshResponses.tokenFields(status, body);
        String access = TokenFileJson.text(f, "accessToken", "access_token");
        if (access == null) {
            throw new RefreshException("refresh response has no data.accessToken", false);
        }
        return new RefreshedToken(
                access,
                TokenFileJson.text(f, "refreshToken", "refresh_token"),
                RefreshResponses.expiry(f, now, LIFETIME_WHEN_UNSAID),
                RefreshResponses.refreshExpiry(f, now));
    }

    @Override
    public void apply(ObjectNode doc, StoredToken refreshed, RefreshedToken response, Instant now) {
        JsonNode existing = doc.get("auth");
        ObjectNode auth = existing instanceof ObjectNode o ? o : doc.putObject("auth");
        auth.put("accessToken", refreshed.accessToken());
        if (refreshed.refreshToken() != null) {
            auth.put("refreshToken", refreshed.refreshToken());
        }
        auth.put(
                "expiresAt",
                refreshed.expiresAt() == null ? 0L : refreshed.expiresAt().toEpochMilli());
        if (response.refreshExpiresAt() != null) {
            auth.put("refreshExpiresAt", response.refreshExpiresAt().toEpochMilli());
        }
        auth.put("lastRefreshTime", now.toEpochMilli());
    }

    @Override
    public String loginHint() {
        return LOGIN_HINT;
    }

    private static void putIfPresent(Map<String, String> m, String k, String v) {
        if (v != null) {
            m.put(k, v);
        }
    }
}
