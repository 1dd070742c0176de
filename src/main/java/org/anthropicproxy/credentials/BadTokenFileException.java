package org.anthropicproxy.credentials;

/** A credential file exists but holds no usable token; the message says why without quoting the content. */
final class BadTokenFileException extends Exception {
    BadTokenFileException(String message) {
        super(message, null, false, false);
    }
}
