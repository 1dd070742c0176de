package org.anthropicproxy.http1;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Components;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Context;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Session;
import org.eclipse.jetty.server.TunnelSupport;
import org.eclipse.jetty.util.Attributes;

/**
 * A request of an {@link Http1Connection}, seen through Jetty's request API (what the routes are written against);
 * the server's components, contexts, sessions and tunnels are not part of this server and read as absent.
 */
final class Http1Request extends Attributes.Lazy implements Request {

    private final Http1Connection connection;
    private final String id;
    private final String method;
    private final HttpURI uri;
    private final HttpFields headers;
    private final long length;
    private final long beginNanos;
    private final long headersNanos = System.nanoTime();
    private final List<Consumer<Throwable>> failureListeners = new CopyOnWriteArrayList<>();
    private volatile boolean failed;

    Http1Request(
            Http1Connection connection,
            String id,
            String method,
            String uri,
            HttpFields headers,
            long length,
            long beginNanos) {
        this.connection = connection;
        this.id = id;
        this.method = method;
        this.uri = HttpURI.from(uri);
        this.headers = headers;
        this.length = length;
        this.beginNanos = beginNanos;
    }

    /** The connection broke while the request was in progress: its listeners learn why, once. */
    void failed(Throwable cause) {
        if (failed) {
            return;
        }
        failed = true;
        for (Consumer<Throwable> l : failureListeners) {
            l.accept(cause);
        }
    }

    @Override
    public String getId() {
        return id;
    }

    @Override
    public Components getComponents() {
        return null;
    }

    @Override
    public ConnectionMetaData getConnectionMetaData() {
        return null;
    }

    @Override
    public String getMethod() {
        return method;
    }

    @Override
    public HttpURI getHttpURI() {
        return uri;
    }

    @Override
    public Context getContext() {
        return null;
    }

    @Override
    public HttpFields getHeaders() {
        return headers;
    }

    @Override
    public long getLength() {
        return length;
    }

    @Override
    public Content.Chunk read() {
        return connection.read();
    }

    @Override
    public void demand(Runnable demandCallback) {
        connection.demand(demandCallback);
    }

    @Override
    public void fail(Throwable failure) {
        connection.abort();
    }

    @Override
    public HttpFields getTrailers() {
        return null;
    }

    @Override
    public long getBeginNanoTime() {
        return beginNanos;
    }

    @Override
    public long getHeadersNanoTime() {
        return headersNanos;
    }

    @Override
    public boolean isSecure() {
        return false;
    }

    @Override
    public boolean consumeAvailable() {
        return connection.consumeAvailable();
    }

    @Override
    public void addIdleTimeoutListener(Predicate<TimeoutException> onIdleTimeout) {
        // an idle timeout fails the request (the failure listeners hear it) and closes the connection
    }

    @Override
    public void addFailureListener(Consumer<Throwable> onFailure) {
        failureListeners.add(onFailure);
        if (failed) {
            onFailure.accept(new org.eclipse.jetty.io.EofException("connection closed"));
        }
    }

    @Override
    public TunnelSupport getTunnelSupport() {
        return null;
    }

    @Override
    public void addHttpStreamWrapper(Function<HttpStream, HttpStream> wrapper) {
        throw new UnsupportedOperationException("no HTTP stream wrappers on this server");
    }

    @Override
    public Session getSession(boolean create) {
        return null;
    }

    @Override
    public String toString() {
        return method + " " + uri + " (" + id + ")";
    }
}
