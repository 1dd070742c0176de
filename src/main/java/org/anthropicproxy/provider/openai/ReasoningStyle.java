package org.anthropicproxy.provider.openai;

/** How an upstream wants to be asked for reasoning ("thinking"). */
public enum ReasoningStyle {
    /** Upstream has no reasoning switch: the client's {@code thinking} is dropped (noted). */
    NONE,
    /** OpenAI: {@code reasoning_effort: low|medium|high}. */
    REASONING_EFFORT,
    /** CodeBuddy: {@code reasoning_effort} plus {@code reasoning_summary:"auto"} (reasoning is only surfaced with both). */
    REASONING_EFFORT_AND_SUMMARY,
    /** DeepSeek / GLM / Kimi: {@code thinking:{type:"enabled"|"disabled"}}. */
    THINKING_OBJECT,
    /** Qwen (DashScope): {@code enable_thinking:true} and {@code thinking_budget:<budget_tokens>}. */
    ENABLE_THINKING
}
