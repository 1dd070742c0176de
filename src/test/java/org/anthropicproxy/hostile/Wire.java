package org.anthropicproxy.hostile;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Raw-socket helpers: what a client sees on the wire, with bounded waits. */
final class Wire {

    static final String MESSAGE =
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final String STREAM =
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":5,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final String ANSWER =
            "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
                    + "\"content\":[{\"type\":\"text\",\"text\":\"ok\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
                    + "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}";

    private Wire() {}

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** An authenticated POST /v1/messages with {@code body}, plus {@code extraHeaders} (each ending in CRLF). */
    static String post(String body, String extraHeaders) {
        return "POST /v1/messages HTTP/1.1\r\nhost: proxy\r\nx-api-key: " + HostileProxy.CLIENT_KEY
                + "\r\ncontent-type: application/json\r\ncontent-length: "
                + body.getBytes(StandardCharsets.UTF_8).length
                + "\r\n" + extraHeaders + "\r\n" + body;
    }

    /** An upstream's whole JSON answer, with {@code extraHeaders} (each ending in CRLF). */
    static String answer(String extraHeaders) {
        return "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + ANSWER.length() + "\r\n"
                + extraHeaders + "\r\n" + ANSWER;
    }

    /**
     * Whether the server closed the connection within {@code max}: end of input (or a reset) after reading and
     * dropping whatever else it sent.
     */
    static boolean closedWithin(Socket s, Duration max) throws IOException {
        long deadline = System.nanoTime() + max.toNanos();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[8192];
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return false;
            }
            s.setSoTimeout((int) left);
            try {
                if (in.read(buf) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true; // reset
            }
        }
    }
}
