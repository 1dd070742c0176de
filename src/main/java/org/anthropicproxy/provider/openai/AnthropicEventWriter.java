package org.anthropicproxy.provider.openai;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.LongSupplier;
import org.anthropicproxy.provider.Usage;

/**
 * Writes one Anthropic event sequence to an {@link AnthropicEventSink} and keeps it valid by construction:
 * {@code message_start} once and first, at most one content block open, indexes 0, 1, 2… in start order, nothing
 * after {@code message_stop} or {@code error} ({@code AnthropicStreamGrammarTest} checks every translated stream
 * against that grammar).
 */
final class AnthropicEventWriter {

    /** The kind of the content block now open. */
    enum Block {
        NONE,
        THINKING,
        TEXT,
        TOOL
    }

    /** Where the message is: before {@code message_start}, streaming, or ended by {@code message_stop} or an error. */
    private enum Phase {
        NOT_STARTED,
        STREAMING,
        ENDED
    }

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final AnthropicEventSink sink;
    private final String messageId;
    private final String clientModel;
    private final LongSupplier startInputTokens;
    private final StringBuilder eventText = new StringBuilder(256);
    private Phase phase = Phase.NOT_STARTED;
    private Block open = Block.NONE;
    private int nextIndex;
    /** A text or tool block has been opened: thinking may no longer begin. */
    private boolean answerStarted;

    AnthropicEventWriter(AnthropicEventSink sink, String messageId, String clientModel, LongSupplier startInputTokens) {
        this.sink = sink;
        this.messageId = messageId;
        this.clientModel = clientModel;
        this.startInputTokens = startInputTokens;
    }

    boolean ended() {
        return phase == Phase.ENDED;
    }

    /** A content block was started: a failover is invisible to the client only before this. */
    boolean contentStarted() {
        return nextIndex > 0 || open != Block.NONE;
    }

    boolean answerStarted() {
        return answerStarted;
    }

    Block open() {
        return open;
    }

    /** {@code message_start}, unless already sent or the message has ended. */
    void start() {
        if (phase != Phase.NOT_STARTED) {
            return;
        }
        phase = Phase.STREAMING;
        ObjectNode ev = F.objectNode().put("type", "message_start");
        ObjectNode m = ev.putObject("message");
        m.put("id", messageId).put("type", "message").put("role", "assistant").put("model", clientModel);
        m.putArray("content");
        m.putNull("stop_reason");
        m.putNull("stop_sequence");
        m.set("usage", StreamUsage.json(new Usage(startInputTokens.getAsLong(), 1, 0, 0)));
        emit("message_start", ev);
    }

    void openBlock(Block kind, ObjectNode contentBlock) {
        start();
        ObjectNode ev = F.objectNode().put("type", "content_block_start").put("index", nextIndex);
        ev.set("content_block", contentBlock);
        emit("content_block_start", ev);
        open = kind;
        answerStarted |= kind != Block.THINKING;
    }

    /** The most frequent event, written as text (same bytes as the tree's serialization, see {@link JsonText}). */
    void delta(String deltaType, String field, String value) {
        if (ended()) {
            return;
        }
        StringBuilder sb = eventText;
        sb.setLength(0);
        sb.append("{\"type\":\"content_block_delta\",\"index\":")
                .append(nextIndex)
                .append(",\"delta\":{\"type\":\"")
                .append(deltaType)
                .append("\",\"")
                .append(field)
                .append("\":");
        JsonText.quote(sb, value).append("}}");
        sink.event("content_block_delta", sb.toString());
    }

    void stopBlock() {
        if (!ended()) {
            sink.event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" + nextIndex + "}");
        }
        nextIndex++;
        open = Block.NONE;
    }

    /** {@code message_delta} and {@code message_stop}: the message ends. */
    void end(ObjectNode messageDelta) {
        emit("message_delta", messageDelta);
        emit("message_stop", F.objectNode().put("type", "message_stop"));
        phase = Phase.ENDED;
    }

    /** {@code event: error}: the message ends without {@code message_stop}. */
    void fail(String type, String message) {
        if (ended()) {
            return;
        }
        ObjectNode ev = F.objectNode().put("type", "error");
        ev.putObject("error").put("type", type).put("message", message);
        emit("error", ev);
        phase = Phase.ENDED;
    }

    private void emit(String type, ObjectNode ev) {
        if (!ended()) { // nothing may follow message_stop or error
            sink.event(type, ev.toString());
        }
    }
}
