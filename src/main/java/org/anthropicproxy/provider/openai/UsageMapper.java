package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import org.anthropicproxy.provider.Usage;

/**
 * OpenAI {@code usage} → Anthropic usage: cache read = {@code prompt_tokens_details.cached_tokens}
 * (else DeepSeek {@code prompt_cache_hit_tokens}); cache write = {@code prompt_tokens_details.cache_write_tokens} /
 * {@code cache_creation_tokens} (else top-level {@code cache_creation_input_tokens}); input = prompt − read − write
 * (≥ 0); output = {@code completion_tokens}, plus {@code reasoning_tokens} when {@code total_tokens} shows the vendor
 * excluded them (xAI).
 */
final class UsageMapper {

    private UsageMapper() {}

    /** The usage object of a chunk or completion ({@code usage}, else Groq's {@code x_groq.usage}); null if none. */
    static JsonNode usageNode(JsonNode root) {
        JsonNode u = root.get("usage");
        if (u != null && u.isObject()) {
            return u;
        }
        JsonNode g = root.path("x_groq").get("usage");
        return g != null && g.isObject() ? g : null;
    }

    /** The usage carries {@code prompt_tokens}: {@link #map} will not use an input estimate. */
    static boolean hasInput(JsonNode u) {
        return u != null && u.path("prompt_tokens").isNumber();
    }

    /** The usage carries {@code completion_tokens}: {@link #map} will not use an output estimate. */
    static boolean hasOutput(JsonNode u) {
        return u != null && u.path("completion_tokens").isNumber();
    }

    static Usage map(JsonNode u, long inputEstimate, long outputEstimate) {
        if (u == null) {
            return new Usage(inputEstimate, outputEstimate, 0, 0);
        }
        JsonNode ptd = u.path("prompt_tokens_details");
        long cached =
                first(ptd.path("cached_tokens"), u.path("prompt_cache_hit_tokens"), u.path("cache_read_input_tokens"));
        long write = first(
                ptd.path("cache_write_tokens"),
                ptd.path("cache_creation_tokens"),
                u.path("cache_creation_input_tokens"));
        long input;
        if (u.path("prompt_tokens").isNumber()) {
            input = Math.max(u.path("prompt_tokens").asLong() - cached - write, 0);
        } else {
            input = inputEstimate;
        }
        long output;
        if (u.path("completion_tokens").isNumber()) {
            output = u.path("completion_tokens").asLong();
            long reasoning =
                    u.path("completion_tokens_details").path("reasoning_tokens").asLong(0);
            long total = u.path("total_tokens").asLong(0);
            long prompt = u.path("prompt_tokens").asLong(0);
            if (reasoning > 0 && total >= prompt + output + reasoning) {
                output += reasoning;
            }
        } else {
            output = outputEstimate;
        }
        return new Usage(input, output, cached, write);
    }

    private static long first(JsonNode... nodes) {
        for (JsonNode n : nodes) {
            if (n.isNumber()) {
                return n.asLong();
            }
        }
        return 0;
    }
}
