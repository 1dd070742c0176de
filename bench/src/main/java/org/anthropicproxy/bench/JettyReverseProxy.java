package org.anthropicproxy.bench;

import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Jetty's own reverse proxy (jetty-proxy's {@link ProxyHandler.Reverse}) as it comes, on 127.0.0.1: the proxy's
 * server and client library with none of the proxy's work (no model rewrite, routing, logging, metrics). The load
 * bench's reference rows run it with the proxy's JVM flags, to show what that stack costs by itself on the machine.
 *
 * <p>Arguments: the port to listen on, the upstream's base URL ({@code http://127.0.0.1:PORT}).
 */
public final class JettyReverseProxy {

    private JettyReverseProxy() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String upstream = args[1];
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new ProxyHandler.Reverse(
                request -> HttpURI.build(upstream + request.getHttpURI().getPathQuery())));
        server.start();
        server.join();
    }
}
