package org.anthropicproxy.provider.openai;

/**
 * The request uses something this upstream cannot serve. The caller answers HTTP 400
 * {@code invalid_request_error} with {@link #getMessage()}; the wording follows Anthropic's own rejections
 * ("… Extra inputs are not permitted", "Input tag … does not match any of the expected tags") so that Claude Code's
 * error classifier can retry without the feature.
 */
public final class UnsupportedFeatureException extends RuntimeException {
    public UnsupportedFeatureException(String message) {
        super(message);
    }
}
