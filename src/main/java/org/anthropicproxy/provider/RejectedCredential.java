package org.anthropicproxy.provider;

import org.anthropicproxy.credentials.Credential;
import org.anthropicproxy.credentials.CredentialSource;
import org.anthropicproxy.credentials.CredentialUnavailableException;

/**
 * The one retry after an upstream's 401: the credential refreshed (single-flight in its source) and the request sent
 * again with it. Blocks: only on a virtual thread.
 */
public final class RejectedCredential {

    /** Sends the request with a credential. */
    @FunctionalInterface
    public interface Send {
        UpstreamHttp.Exchange with(Credential credential) throws UpstreamHttp.NoAnswerException, InterruptedException;
    }

    /** The second attempt and the credential it used, or the outcome when there is none. */
    public record Retry(Credential credential, UpstreamHttp.Exchange exchange, Outcome failed) {}

    private RejectedCredential() {}

    public static Retry retry(
            CredentialSource credentials, Credential rejected, Send send, String provider, String upstreamModel) {
        try {
            Credential fresh = credentials.refreshAfterRejection(rejected);
            return new Retry(fresh, send.with(fresh), null);
        } catch (CredentialUnavailableException e) {
            return new Retry(null, null, Failures.noCredential(provider, e, upstreamModel));
        } catch (UpstreamHttp.NoAnswerException e) {
            return new Retry(null, null, Failures.noAnswer(e, upstreamModel));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Retry(null, null, new Outcome.ClientGone(upstreamModel));
        }
    }
}
