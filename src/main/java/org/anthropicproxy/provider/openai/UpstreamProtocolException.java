package org.anthropicproxy.provider.openai;

import java.util.Optional;

/** The upstream answered 200 with something that cannot be translated faithfully; the caller answers 502 api_error. */
public final class UpstreamProtocolException extends RuntimeException {
    public UpstreamProtocolException(String message) {
        super(message);
    }

    public AnthropicError toAnthropicError() {
        return new AnthropicError(502, "api_error", getMessage(), Optional.empty());
    }
}
