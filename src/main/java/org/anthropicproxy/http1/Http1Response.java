package org.anthropicproxy.http1;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** The answer to an {@link Http1Request}, through Jetty's response API; bytes go to {@link Http1Connection#write}. */
final class Http1Response implements Response {

    private final Http1Request request;
    private final Http1Connection connection;
    private final HttpFields.Mutable headers = HttpFields.build();
    private volatile int status = 200;
    private Supplier<HttpFields> trailers;

    Http1Response(Http1Request request, Http1Connection connection) {
        this.request = request;
        this.connection = connection;
    }

    @Override
    public Request getRequest() {
        return request;
    }

    @Override
    public int getStatus() {
        return status;
    }

    @Override
    public void setStatus(int code) {
        if (!isCommitted()) {
            status = code;
        }
    }

    @Override
    public HttpFields.Mutable getHeaders() {
        return headers;
    }

    @Override
    public Supplier<HttpFields> getTrailersSupplier() {
        return trailers;
    }

    @Override
    public void setTrailersSupplier(Supplier<HttpFields> trailers) {
        // trailers are not sent by this server: nothing in the proxy's answers uses them
        this.trailers = trailers;
    }

    @Override
    public boolean isCommitted() {
        return connection.committed();
    }

    @Override
    public boolean hasLastWrite() {
        return connection.lastWritten();
    }

    @Override
    public boolean isCompletedSuccessfully() {
        return connection.lastWritten();
    }

    @Override
    public void reset() {
        if (isCommitted()) {
            throw new IllegalStateException("committed");
        }
        headers.clear();
        status = 200;
    }

    @Override
    public CompletableFuture<Void> writeInterim(int status, HttpFields headers) {
        // 1xx answers other than the 100 the connection sends for expect: 100-continue are not needed by the proxy
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void write(boolean last, ByteBuffer byteBuffer, Callback callback) {
        connection.write(this, last, byteBuffer, callback);
    }
}
