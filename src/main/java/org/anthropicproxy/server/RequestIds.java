package org.anthropicproxy.server;

import java.util.concurrent.ThreadLocalRandom;

/** Request ids shaped like Anthropic's ({@code req_} + base62), unique enough to grep for. */
final class RequestIds {

    private static final char[] ALPHABET =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private RequestIds() {}

    static String next() {
        char[] c = new char[24];
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < c.length; i++) {
            c[i] = ALPHABET[r.nextInt(ALPHABET.length)];
        }
        return "req_proxy_" + new String(c);
    }
}
