package org.anthropicproxy.cli;

import org.anthropicproxy.config.ProxyConfig;
import org.anthropicproxy.observe.LogFlusher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Points Logback at the chosen file and level before the first logger is created. */
final class LogSetup {

    private LogSetup() {
    }

    static void configure(String file, String level) {
        System.setProperty("anthropic.proxy.log.file", file);
        System.setProperty("anthropic.proxy.log.level", level.toUpperCase());
        LogFlusher.start();
    }

    static void banner(ProxyConfig cfg, int port) {
        Logger log = LoggerFactory.getLogger("anthropic-proxy");
        log.info("anthropic-proxy listening on http://{}:{} route={} config={} log={}",
                cfg.server().host(), port, cfg.route(), cfg.source(), cfg.logFile());
        log.info("use it: export ANTHROPIC_BASE_URL=http://{}:{} ANTHROPIC_AUTH_TOKEN=anthropic-proxy", cfg.server().host(), port);
    }
}
