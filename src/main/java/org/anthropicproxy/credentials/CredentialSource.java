package org.anthropicproxy.credentials;

/** Where a provider gets the secret for its upstream; implementations are thread-safe. */
public interface CredentialSource extends AutoCloseable {

    /**
     * The current credential, refreshed first (single-flight) when it expires within the refresh buffer.
     *
     * @throws CredentialUnavailableException when no usable credential can be had; the message says which files
     *                                        were looked at and which command logs in
     */
    Credential current() throws CredentialUnavailableException;

    /**
     * Whether {@link #current} would answer at once, without reading a file or refreshing over the network: a request
     * may then be served on an I/O thread, where nothing may block.
     */
    default boolean currentAtHand() {
        return false;
    }

    /**
     * Called after the upstream answered 401 to {@code rejected}: refreshes once (single-flight). When another
     * thread already replaced the rejected credential, returns the newer one without refreshing again.
     */
    Credential refreshAfterRejection(Credential rejected) throws CredentialUnavailableException;

    /** For {@code /health}; never contains the secret. */
    CredentialStatus status();

    /** Stops background refresh and file watching. */
    @Override
    void close();
}
