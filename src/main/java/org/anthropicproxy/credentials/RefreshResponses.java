package org.anthropicproxy.credentials;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;

/** Reading refresh responses of both protocols: plain OAuth fields, or CodeBuddy's {code, msg, data} envelope. */
final class RefreshResponses {
    private RefreshResponses() {}

    /**
     * Checks the HTTP status and the envelope code, then returns the object holding the token fields.
     * Error messages carry the status and the envelope's code/msg, never the body or anything echoing a token.
     */
    static JsonNode tokenFields(int status, byte[] body, String... secretsToHide) throws RefreshException {
        ObjectNode doc = null;
        try {
            doc = TokenFileJson.readObject(body, "refresh response");
        } catch (BadTokenFileException notJson) {
            if (status / 100 == 2) {
                throw new RefreshException(notJson.getMessage(), false);
            }
        }
        String detail = doc == null ? "" : envelopeDetail(doc, secretsToHide);
        if (status == 401 || status == 403) {
            throw new RefreshException(
                    "refresh endpoint answered HTTP " + status + detail + " (the refresh token was rejected)", true);
        }
        if (status / 100 != 2) {
            throw new RefreshException(
                    "refresh endpoint answered HTTP " + status + detail,
                    status == 400 && doc != null && Long.valueOf(11002).equals(TokenFileJson.number(doc, "code")));
        }
        Long code = TokenFileJson.number(doc, "code");
        if (code != null && code != 0) {
            throw new RefreshException("refresh endpoint answered code " + code + detail, code == 11002);
        }
        JsonNode data = doc.get("data");
        return data != null && data.isObject() ? data : doc;
    }

    private static String envelopeDetail(ObjectNode doc, String... secrets) {
        Long code = TokenFileJson.number(doc, "code");
        String msg = TokenFileJson.text(doc, "msg", "message", "error_description", "error");
        if (code == null && msg == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(" (");
        if (code != null) {
            sb.append("code ").append(code);
        }
        if (msg != null) {
            sb.append(code != null ? ": " : "").append(Secrets.redact(abbreviate(msg), secrets));
        }
        return sb.append(')').toString();
    }

    private static String abbreviate(String s) {
        String oneLine = s.replaceAll("\\s+", " ");
        return oneLine.length() <= 160 ? oneLine : oneLine.substring(0, 160) + "…";
    }

    /**
     * Expiry from {@code expiresIn}/{@code expires_in} (seconds) or {@code expiresAt}/{@code expires_at} (epoch),
     * or {@code fallback} from now when neither is present ({@code null} fallback = required).
     */
    static Instant expiry(JsonNode fields, Instant now, Duration fallback) throws RefreshException {
        Long in = TokenFileJson.number(fields, "expiresIn", "expires_in");
        if (in != null && in > 0) {
            return now.plusSeconds(in);
        }
        Long at = TokenFileJson.number(fields, "expiresAt", "expires_at");
        if (at != null && at > 0) {
            return TokenFileJson.epoch(at);
        }
        if (fallback == null) {
            throw new RefreshException("refresh response has no expires_in", false);
        }
        return now.plus(fallback);
    }

    static Instant refreshExpiry(JsonNode fields, Instant now) {
        Long in = TokenFileJson.number(fields, "refreshExpiresIn", "refresh_expires_in");
        if (in != null && in > 0) {
            return now.plusSeconds(in);
        }
        Long at = TokenFileJson.number(fields, "refreshExpiresAt", "refresh_expires_at");
        return at != null && at > 0 ? TokenFileJson.epoch(at) : null;
    }
}
