package org.anthropicproxy;

/** Test access to ProxyApp's package-private helpers. */
public final class ProxyAppAccess {
    private ProxyAppAccess() {}

    public static boolean isLoopback(String host) {
        return ProxyApp.isLoopback(host);
    }
}
