package org.anthropicproxy.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.anthropicproxy.json.ErrorBody;
import org.eclipse.jetty.http.HttpFields;

/**
 * The status page: static files under {@code /ui/}, read from the jar once (no build step, nothing fetched from
 * elsewhere, works offline), served without a key — the page asks for an admin key and sends it with every data
 * request as a header. A strict Content-Security-Policy (scripts and styles from this origin only, no inline script)
 * backs the page's own rule of putting every value into the document as text (StatusPageBrowserIT).
 */
final class StatusPage {

    static final String PREFIX = "/ui/";
    private static final String[][] FILES = {
        {"index.html", "text/html; charset=utf-8"},
        {"app.js", "text/javascript; charset=utf-8"},
        {"charts.js", "text/javascript; charset=utf-8"},
        {"style.css", "text/css; charset=utf-8"},
    };
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private record File(String contentType, byte[] body) {}

    private final Map<String, File> files = new LinkedHashMap<>();

    StatusPage() {
        for (String[] f : FILES) {
            try (InputStream in = StatusPage.class.getResourceAsStream("/ui/" + f[0])) {
                if (in == null) {
                    throw new IllegalStateException("ui/" + f[0] + " is missing from the jar");
                }
                files.put(f[0], new File(f[1], in.readAllBytes()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static boolean handles(String path) {
        return path.equals("/ui") || path.startsWith(PREFIX);
    }

    /** A browser asking for {@code GET /} (Accept: text/html); API clients and HEAD probes get the JSON as before. */
    static boolean wantsPage(String method, HttpFields headers) {
        String accept = headers.get("accept");
        return method.equals("GET") && accept != null && accept.contains("text/html");
    }

    static void redirect(JettyClientSink sink) throws IOException {
        sink.respond(
                302,
                HttpFields.build()
                        .put("location", PREFIX)
                        .put("content-type", "text/plain; charset=utf-8")
                        .put("cache-control", "no-store"),
                ("see " + PREFIX + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    void serve(JettyClientSink sink, String method, String path) throws IOException {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            HttpFields.Mutable h = Answers.jsonHeaders().put("allow", "GET, HEAD");
            sink.respond(
                    405,
                    h,
                    ErrorBody.bytes(
                            "invalid_request_error",
                            "Method " + method + " not allowed on " + path + " (use GET, HEAD)"));
            return;
        }
        if (path.equals("/ui")) {
            redirect(sink);
            return;
        }
        String name = path.substring(PREFIX.length());
        File f = files.get(name.isEmpty() ? "index.html" : name);
        if (f == null) {
            Answers.error(sink, 404, "not_found_error", "Not found: " + method + " " + path);
            return;
        }
        sink.respond(
                200,
                HttpFields.build()
                        .put("content-type", f.contentType())
                        .put("cache-control", "no-cache")
                        .put("content-security-policy", CSP)
                        .put("x-content-type-options", "nosniff")
                        .put("referrer-policy", "no-referrer")
                        .put("x-frame-options", "DENY"),
                f.body());
    }
}
