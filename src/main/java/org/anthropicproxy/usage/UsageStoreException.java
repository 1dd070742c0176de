package org.anthropicproxy.usage;

/** The store could not be read or written (locked, full, unreachable, not a database). */
public final class UsageStoreException extends RuntimeException {

    public UsageStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
