package org.anthropicproxy.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 exchange over a plain socket, for requests {@code java.net.http} refuses to send (bogus
 * content-length, broken chunked encoding, oversized or missing headers). Every read is bounded by a socket timeout.
 */
public final class RawHttpExchange {

    /** What came back: status -1 when the server closed without a status line, {@code timedOut} when it said nothing. */
    public record Answer(int status, Map<String, String> headers, byte[] body, boolean timedOut) {
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private RawHttpExchange() {}

    /** Sends {@code request} as is; with {@code halfClose} the client then shuts its output (EOF for the server). */
    public static Answer send(int port, byte[] request, boolean halfClose, Duration timeout) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            OutputStream out = s.getOutputStream();
            try {
                out.write(request);
                out.flush();
                if (halfClose) {
                    s.shutdownOutput();
                }
            } catch (IOException e) {
                // the server may answer (and close) before reading everything: read what it said
            }
            return halfClose ? readFinal(s.getInputStream()) : read(s.getInputStream());
        }
    }

    public static Answer send(int port, String request, boolean halfClose, Duration timeout) throws IOException {
        return send(port, request.getBytes(StandardCharsets.ISO_8859_1), halfClose, timeout);
    }

    /**
     * Reads the final response, skipping interim (1xx) ones as HTTP/1.1 clients do (RFC 9110 §15.2): a server may
     * send one unasked, as the proxy does to a client that ended its input while it waits for an answer.
     */
    public static Answer readFinal(InputStream in) throws IOException {
        while (true) {
            Answer a = read(in);
            if (a.status() < 100 || a.status() >= 200) {
                return a;
            }
        }
    }

    /** Reads one response: status line, headers, then a body by content-length, chunked, or up to EOF. */
    public static Answer read(InputStream in) throws IOException {
        try {
            String statusLine = line(in);
            if (statusLine == null) {
                return new Answer(-1, Map.of(), new byte[0], false);
            }
            String[] parts = statusLine.split(" ", 3);
            int status = Integer.parseInt(parts[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            String h;
            while ((h = line(in)) != null && !h.isEmpty()) {
                int colon = h.indexOf(':');
                if (colon > 0) {
                    headers.merge(
                            h.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            h.substring(colon + 1).trim(),
                            (a, b) -> a + ", " + b);
                }
            }
            byte[] body;
            String cl = headers.get("content-length");
            if (cl != null) {
                body = in.readNBytes(Integer.parseInt(cl));
            } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                body = chunked(in);
            } else if (status < 200 || status == 204 || status == 304) {
                body = new byte[0];
            } else {
                body = in.readAllBytes();
            }
            return new Answer(status, headers, body, false);
        } catch (SocketTimeoutException e) {
            return new Answer(-1, Map.of(), new byte[0], true);
        }
    }

    private static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String size = line(in);
            if (size == null) {
                return out.toByteArray();
            }
            int semi = size.indexOf(';');
            int n = Integer.parseInt((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
            if (n == 0) {
                while (true) {
                    String trailer = line(in);
                    if (trailer == null || trailer.isEmpty()) {
                        return out.toByteArray();
                    }
                }
            }
            out.write(in.readNBytes(n));
            line(in);
        }
    }

    /** A CRLF- or LF-terminated line in ISO-8859-1, or null at EOF before any byte. */
    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                byte[] bytes = b.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }
}
