package org.anthropicproxy.json;

/** The client's request is malformed; the message names the field and becomes a 400 invalid_request_error. */
public final class InvalidRequestException extends Exception {
    public InvalidRequestException(String message) {
        super(message, null, false, false);
    }
}
