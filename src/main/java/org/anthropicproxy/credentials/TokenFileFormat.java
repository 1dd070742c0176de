package org.anthropicproxy.credentials;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;

/** One kind of OAuth credential file and the refresh protocol that goes with it. */
interface TokenFileFormat {
    Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    /** Reads the token fields. @throws BadTokenFileException saying what is missing, never quoting values */
    StoredToken parse(ObjectNode document) throws BadTokenFileException;

    /** The refresh request for {@code token} (which has a refresh token). */
    HttpRequest refreshRequest(StoredToken token);

    /** Interprets the refresh response. @throws RefreshException with a safe message */
    RefreshedToken parseRefreshResponse(int status, byte[] body, Instant now) throws RefreshException;

    /** Writes the refreshed token fields into {@code document}, leaving every other field untouched. */
    void apply(ObjectNode document, StoredToken refreshed, RefreshedToken response, Instant now);

    /** The command that logs in and writes this file, for messages. */
    String loginHint();
}
