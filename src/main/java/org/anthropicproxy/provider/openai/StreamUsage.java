package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.LongSupplier;
import org.anthropicproxy.provider.Usage;

/**
 * A translated stream's usage: the upstream's own figures when it reports them, local estimates for what it does not
 * ({@code UsageEstimateTest}). Estimates are computed at most once, and only when needed: the input estimate for
 * {@code message_start} or a missing {@code prompt_tokens}, the output estimate from a sample of the emitted output
 * for a missing {@code completion_tokens}.
 */
final class StreamUsage {

    /** Output text kept for the no-usage estimate; beyond this the estimate scales by characters. */
    static final int OUTPUT_SAMPLE_CHARS = 256 * 1024;

    private final LongSupplier inputSource;
    private final LongSupplier finalInputSource;
    private final TokenCounter tokens;
    private long input = -1;
    private long finalInput = -1;
    private JsonNode upstream;
    private final StringBuilder outputSample = new StringBuilder();
    private long outputChars;

    /**
     * {@code finalInput} is asked only at the end of a stream whose upstream reported no {@code prompt_tokens}; it may
     * be the same supplier as {@code input}.
     */
    StreamUsage(LongSupplier input, LongSupplier finalInput, TokenCounter tokens) {
        this.inputSource = input;
        this.finalInputSource = finalInput;
        this.tokens = tokens;
    }

    long inputEstimate() {
        if (input < 0) {
            input = Math.max(0, inputSource.getAsLong());
        }
        return input;
    }

    @SuppressWarnings("ReferenceEquality") // the same supplier passed twice means the final estimate is the first one
    private long finalInputEstimate() {
        if (finalInputSource == inputSource) {
            return inputEstimate();
        }
        if (finalInput < 0) {
            finalInput = Math.max(0, finalInputSource.getAsLong());
        }
        return finalInput;
    }

    /** The upstream's latest {@code usage}. */
    void reported(JsonNode usage) {
        upstream = usage;
    }

    /** Output text emitted to the client. */
    void countOutput(String s) {
        outputChars += s.length();
        int room = OUTPUT_SAMPLE_CHARS - outputSample.length();
        if (room > 0) {
            outputSample.append(s, 0, Math.min(room, s.length()));
        }
    }

    /** Tokens of the emitted output, tokenized once (scaled by characters past the sample). */
    private long outputEstimate() {
        if (outputChars == 0) {
            return 0;
        }
        long sampled = tokens.countText(outputSample.toString());
        return outputChars <= outputSample.length()
                ? sampled
                : (long) Math.ceil((double) sampled * outputChars / outputSample.length());
    }

    Usage now(long minOutput) {
        long in = UsageMapper.hasInput(upstream) ? 0 : finalInputEstimate();
        long out = UsageMapper.hasOutput(upstream) ? 0 : Math.max(minOutput, outputEstimate());
        return UsageMapper.map(upstream, in, out);
    }

    /** Anthropic's usage object, all four figures. */
    static ObjectNode json(Usage u) {
        return JsonNodeFactory.instance
                .objectNode()
                .put("input_tokens", u.inputTokens())
                .put("cache_creation_input_tokens", u.cacheWriteTokens())
                .put("cache_read_input_tokens", u.cacheReadTokens())
                .put("output_tokens", u.outputTokens());
    }
}
