package org.anthropicproxy.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.anthropicproxy.provider.ClientSink;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.util.Callback;

/**
 * A client for the non-blocking pumps: records what reaches it, checks the headers come first and once, and completes
 * writes at once or only when the test says (a slow reader).
 */
public final class RecordingClientSink implements ClientSink {
    public final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final ArrayDeque<Callback> late = new ArrayDeque<>();
    final boolean completeLate;
    public boolean failWrites;
    public int starts;
    /** What the stream's first write carried with the headers. */
    public String withHeaders;

    public RecordingClientSink(boolean completeLate) {
        this.completeLate = completeLate;
    }

    public String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    public void completeWrites() {
        List<Callback> now;
        synchronized (this) {
            now = new ArrayList<>(late);
            late.clear();
        }
        now.forEach(Callback::succeeded);
    }

    private void done(Callback cb) {
        if (failWrites) {
            cb.failed(new IOException("client gone"));
        } else if (completeLate) {
            synchronized (this) {
                late.add(cb);
            }
        } else {
            cb.succeeded();
        }
    }

    @Override
    public boolean committed() {
        return starts > 0;
    }

    @Override
    public void respond(int status, HttpFields headers, byte[] body) {
        throw new AssertionError("a stream never answers whole");
    }

    @Override
    public void respondAsync(int status, HttpFields headers, byte[] body, Callback done) {
        throw new AssertionError("a stream never answers whole");
    }

    @Override
    public void startStream(int status, HttpFields headers) {
        throw new AssertionError("blocking start on the async path");
    }

    @Override
    public void writeEvents(byte[] b, int off, int len) {
        throw new AssertionError("blocking write on the async path");
    }

    @Override
    public void startStreamAsync(int status, HttpFields headers, byte[] b, int off, int len, Callback done) {
        assertThat(bytes.size()).as("headers before any event").isZero();
        starts++;
        withHeaders = new String(b, off, len, StandardCharsets.UTF_8);
        bytes.write(b, off, len);
        done(done);
    }

    @Override
    public void writeEventsAsync(byte[] b, int off, int len, Callback done) {
        assertThat(starts).as("events after the headers").isEqualTo(1);
        bytes.write(b, off, len);
        done(done);
    }

    @Override
    public void onClientGone(Runnable action) {}

    @Override
    public void writeEvent(String type, String json) {
        throw new AssertionError("blocking write on the async path");
    }
}
