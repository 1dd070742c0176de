package org.anthropicproxy.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.anthropicproxy.config.ProxyConfig;
import org.anthropicproxy.observe.LogFileClaim;
import org.anthropicproxy.observe.LogFlusher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Points Logback at the chosen file and level before the first logger is created. */
final class LogSetup {

    private LogSetup() {}

    /** The file this process logs to: the one asked for, unless another process writes that one. */
    private static LogFileClaim.Claimed claimed;

    static void configure(String file, String level) {
        claimed = LogFileClaim.claim(Path.of(file));
        if (claimed.moved()) {
            System.err.println("anthropic-proxy: " + claimed.wanted() + " is written by another anthropic-proxy"
                    + (claimed.holder() == null ? "" : " (pid " + claimed.holder() + ")") + "; this one logs to "
                    + claimed.file() + " (give each its own with --log-file FILE)");
        }
        System.setProperty("anthropic.proxy.log.file", claimed.file().toString());
        System.setProperty("anthropic.proxy.log.level", level.toUpperCase(Locale.ROOT));
        LogFlusher.start();
    }

    static void banner(ProxyConfig cfg, int port) {
        Logger log = LoggerFactory.getLogger("anthropic-proxy");
        log.info(
                "anthropic-proxy listening on http://{}:{} route={} config={} log={}",
                cfg.server().host(),
                port,
                cfg.route(),
                cfg.source(),
                claimed == null ? cfg.logFile() : claimed.file());
        log.info(
                "use it: export ANTHROPIC_BASE_URL=http://{}:{} ANTHROPIC_AUTH_TOKEN=anthropic-proxy",
                cfg.server().host(),
                port);
    }
}
