package org.anthropicproxy.provider.openai;

/**
 * A Chat Completions {@code finish_reason} → Anthropic's {@code stop_reason}, for streamed and whole answers alike.
 * A {@code tool_calls} finish without a tool_use block the client saw is {@code end_turn}: after {@code tool_use} a
 * client answers with one tool result per tool_use block, and would have none to send.
 */
final class StopReasons {

    private StopReasons() {}

    static String of(String finishReason, boolean toolEmitted, boolean refusal) {
        if (finishReason == null) {
            return toolEmitted ? "tool_use" : refusal ? "refusal" : "end_turn";
        }
        return switch (finishReason) {
            case "length" -> "max_tokens";
            case "tool_calls", "function_call" -> toolEmitted ? "tool_use" : "end_turn";
            case "content_filter" -> "refusal";
            default -> toolEmitted ? "tool_use" : refusal ? "refusal" : "end_turn";
        };
    }
}
