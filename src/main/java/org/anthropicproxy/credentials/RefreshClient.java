package org.anthropicproxy.credentials;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.util.Optional;

/**
 * Owns the call to a token file's refresh endpoint for {@link RefreshingFileSource}: the HTTP client, sending the
 * request, parsing the answer, and the redacted wording of a failed call.
 */
final class RefreshClient {
    /** A refresh call that failed; the message is already redacted. */
    static final class Failure extends Exception {
        private final boolean rejected;

        Failure(String reason, boolean rejected) {
            super(reason);
            this.rejected = rejected;
        }

        boolean rejected() {
            return rejected;
        }
    }

    private final TokenFileFormat format;
    private final Clock clock;
    private final HttpClient http;
    private final RefreshHttp outbound;

    RefreshClient(TokenFileFormat format, Clock clock, RefreshHttp outbound) {
        this.format = format;
        this.clock = clock;
        this.outbound = outbound;
        this.http = outbound.builder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(RefreshingFileSource.CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    RefreshedToken refresh(StoredToken token) throws Failure, InterruptedException {
        HttpRequest request = format.refreshRequest(token);
        try {
            RefreshHttp.Answer r = outbound.send(http, request, RefreshingFileSource.CONNECT_TIMEOUT);
            return format.parseRefreshResponse(r.status(), r.body(), clock.instant());
        } catch (RefreshException e) {
            throw new Failure(redact(e.getMessage(), token), e.rejected());
        } catch (IOException e) {
            throw new Failure(describe(e, token), false);
        }
    }

    void close() {
        http.shutdownNow();
    }

    private static String redact(String message, StoredToken t) {
        return Secrets.redact(message, t.accessToken(), t.refreshToken());
    }

    private static String describe(IOException e, StoredToken t) {
        if (e instanceof HttpConnectTimeoutException) {
            return "could not connect to the refresh endpoint within "
                    + RefreshingFileSource.CONNECT_TIMEOUT.toSeconds() + "s";
        }
        if (e instanceof HttpTimeoutException) {
            return "the refresh endpoint did not answer within " + TokenFileFormat.REQUEST_TIMEOUT.toSeconds() + "s";
        }
        if (e instanceof ConnectException) {
            return "could not connect to the refresh endpoint";
        }
        Optional<String> untrusted = org.anthropicproxy.tls.TrustFailures.explain(e, "the refresh endpoint");
        if (untrusted.isPresent()) {
            return untrusted.get();
        }
        String m = e.getMessage();
        return "refresh request failed (" + e.getClass().getSimpleName()
                + (m == null ? "" : ": " + redact(m.length() > 160 ? m.substring(0, 160) : m, t)) + ")";
    }
}
