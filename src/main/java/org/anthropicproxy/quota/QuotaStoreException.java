package org.anthropicproxy.quota;

/** A quota store could not be read or written (Redis unreachable, timeout, ...). The message names the store. */
public final class QuotaStoreException extends RuntimeException {
    public QuotaStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
