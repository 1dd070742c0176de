package org.anthropicproxy.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.anthropicproxy.ProxyApp;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.config.ConfigException;
import org.anthropicproxy.config.ConfigLoader;
import org.anthropicproxy.config.ProxyConfig;
import org.anthropicproxy.files.UserDirs;
import org.anthropicproxy.observe.LogFlusher;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code anthropic-proxy}: starts the gateway. Exit 2 on any bad flag or bad config, with one readable line. */
@Command(
        name = "anthropic-proxy",
        mixinStandardHelpOptions = true,
        versionProvider = VersionLines.class,
        description = "Anthropic Messages API gateway: passthrough, OpenAI translation and failover.",
        sortOptions = false,
        subcommands = {ServiceCommand.class, ClaudeCommand.class, UsageCommand.class})
public final class Main implements Callable<Integer> {

    public static final int EXIT_USAGE = 2;

    @Option(names = "--host", description = "Listen address (default 127.0.0.1)")
    String host;

    @Option(names = "--port", description = "Listen port (default 8080)")
    Integer port;

    @Option(
            names = "--provider",
            paramLabel = "NAME",
            description = "A preset (native, codebuddy, hybrid) or a provider from the config file")
    String provider;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description =
                    "YAML config (default ${XDG_CONFIG_HOME:-~/.config}/anthropic-proxy/config.yaml when it exists)")
    Path config;

    @Option(names = "--log-file", paramLabel = "FILE", description = "Log file (default anthropic_server.log)")
    String logFile;

    @Option(
            names = "--log-level",
            paramLabel = "LEVEL",
            description = "TRACE, DEBUG, INFO, WARN or ERROR (default INFO)")
    String logLevel;

    @Option(
            names = "--quota-file",
            paramLabel = "FILE|URI",
            description = "Quota state: a JSON file (default quota_state.json) or redis://host:port")
    String quotaFile;

    @Option(
            names = "--allow-unauthenticated",
            description = "Listen on a non-loopback address without client keys (not recommended)")
    boolean allowUnauthenticated;

    public static void main(String[] args) {
        jvmDefaults();
        System.exit(run(args));
    }

    /**
     * Before anything loads java.net.http: let token refreshes send the proxy URL's Basic credentials with their
     * {@code CONNECT}, as curl does (the JDK's net.properties disable Basic for tunnels, read once). A value the user
     * set with {@code -D} is kept. Guarded by {@code MainTest} and {@code ForwardProxyIT} (whose JVM gets the same flag).
     */
    static void jvmDefaults() {
        if (System.getProperty("jdk.http.auth.tunneling.disabledSchemes") == null) {
            System.setProperty("jdk.http.auth.tunneling.disabledSchemes", "");
        }
    }

    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("anthropic-proxy: " + ex.getMessage() + " (see --help)");
            err.flush();
            return EXIT_USAGE;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        if (logLevel != null && !logLevel.matches("(?i)TRACE|DEBUG|INFO|WARN|ERROR|OFF")) {
            System.err.println(
                    "anthropic-proxy: --log-level: '" + logLevel + "' is not one of TRACE, DEBUG, INFO, WARN, ERROR");
            return EXIT_USAGE;
        }
        ProxyConfig cfg;
        try {
            Path file = config != null ? config : ConfigLoader.defaultConfigFile(UserDirs.current());
            cfg = new ConfigLoader(System.getenv())
                    .load(
                            file,
                            new CliOverrides(host, port, provider, logFile, logLevel, quotaFile, allowUnauthenticated));
        } catch (ConfigException e) {
            System.err.println("anthropic-proxy: " + e.getMessage());
            return EXIT_USAGE;
        }
        LogSetup.configure(cfg.logFile(), cfg.logLevel());
        ProxyApp app;
        try {
            app = ProxyApp.start(cfg, System.getenv());
        } catch (ConfigException e) {
            System.err.println("anthropic-proxy: " + e.getMessage());
            return EXIT_USAGE;
        } catch (java.io.IOException e) {
            System.err.println("anthropic-proxy: cannot listen on "
                    + cfg.server().host() + ":" + cfg.server().port() + ": " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            app.close();
                            LogFlusher.flushNow();
                            stopped.countDown();
                        },
                        "shutdown"));
        LogSetup.banner(cfg, app.port());
        stopped.await();
        return 0;
    }
}
