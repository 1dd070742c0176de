package org.anthropicproxy.server;

import org.anthropicproxy.provider.Usage;

/** What the access log and the status page record of a served request; every field but failovers may be null. */
record Served(String clientModel, String provider, String upstreamModel, Usage usage, int failovers, String note) {

    static Served plain() {
        return new Served(null, null, null, null, 0, null);
    }

    static Served note(String note) {
        return new Served(null, null, null, null, 0, note);
    }
}
