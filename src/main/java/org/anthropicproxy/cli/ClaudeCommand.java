package org.anthropicproxy.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.config.ConfigException;
import org.anthropicproxy.config.ConfigLoader;
import org.anthropicproxy.config.ProxyConfig;
import org.anthropicproxy.files.UserDirs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code anthropic-proxy claude [claude args…]}: runs Claude Code against the proxy. Our options come first; the first
 * argument that is not one of them, and everything after it, goes to {@code claude} unchanged ({@code --} forces
 * that, e.g. {@code anthropic-proxy claude -- --help}).
 */
@Command(
        name = "claude",
        mixinStandardHelpOptions = true,
        versionProvider = VersionLines.class,
        sortOptions = false,
        modelTransformer = ClaudeCommand.PassThrough.class,
        description = {
            "Run Claude Code (claude) with ANTHROPIC_BASE_URL pointing at the proxy.",
            "Arguments after the options below go to claude unchanged."
        })
public final class ClaudeCommand implements Callable<Integer> {

    public static final int EXIT_NOT_RUNNING = 3;
    static final String PLACEHOLDER_TOKEN = "anthropic-proxy";
    static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(1);
    static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    @Spec
    CommandSpec spec;

    @ParentCommand
    Main parent;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description =
                    "The proxy's YAML config (default ${XDG_CONFIG_HOME:-~/.config}/anthropic-proxy/config.yaml when it exists)")
    Path config;

    @Option(names = "--host", description = "The proxy's address (default: the config's, else 127.0.0.1)")
    String host;

    @Option(names = "--port", description = "The proxy's port (default: the config's, else 8080)")
    Integer port;

    @Option(
            names = "--provider",
            paramLabel = "NAME",
            description = "With --start: the provider or chain the started proxy uses")
    String provider;

    @Option(names = "--start", description = "Start the proxy in the background first when it is not answering")
    boolean start;

    @Option(names = "--print-env", description = "Print export lines for shells and IDEs instead of running claude")
    boolean printEnv;

    @Option(
            names = "--claude-bin",
            paramLabel = "PATH",
            description = "The Claude Code executable (default: claude on the PATH)")
    String claudeBin = "claude";

    @Unmatched
    List<String> claudeArgs = new ArrayList<>();

    private final Path home;
    private final SelfLaunch launch;
    private final Map<String, String> env;

    public ClaudeCommand() {
        this(UserDirs.current().home(), SelfLaunch.current(), System.getenv());
    }

    ClaudeCommand(Path home, SelfLaunch launch, Map<String, String> env) {
        this.home = home;
        this.launch = launch;
        this.env = env;
    }

    /** Our options stop at the first argument that is not ours: the rest is claude's, in order. */
    public static final class PassThrough implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            spec.parser().stopAtUnmatched(true).stopAtPositional(true);
            return spec;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        inheritFromParent();
        Path callerDir = callerDir();
        Path configFile = config == null
                ? null
                : callerDir.resolve(config).toAbsolutePath().normalize();
        ProxyConfig cfg;
        try {
            Path effective =
                    configFile != null ? configFile : ConfigLoader.defaultConfigFile(UserDirs.under(home, env));
            cfg = new ConfigLoader(env).load(effective, new CliOverrides(host, port, provider, null, null, null));
        } catch (ConfigException e) {
            err.println("anthropic-proxy: " + e.getMessage());
            err.flush();
            return Main.EXIT_USAGE;
        }
        String baseUrl = baseUrl(cfg.server().host(), cfg.server().port());
        String token = token(cfg.clientKeys(), err);

        if (printEnv) {
            printEnv(out, baseUrl, token);
            return 0;
        }
        Optional<String> down = healthProblem(baseUrl, HEALTH_TIMEOUT);
        if (down.isPresent()) {
            if (!start) {
                notRunning(err, baseUrl, down.get(), cfg.server().port(), configFile);
                return EXIT_NOT_RUNNING;
            }
            Integer started = startProxy(err, baseUrl, cfg, configFile);
            if (started != null) {
                return started;
            }
        }
        return runClaude(err, callerDir, baseUrl, token);
    }

    /** {@code anthropic-proxy --port 9000 claude} means the same as {@code anthropic-proxy claude --port 9000}. */
    private void inheritFromParent() {
        if (parent == null) {
            return;
        }
        host = host != null ? host : parent.host;
        port = port != null ? port : parent.port;
        config = config != null ? config : parent.config;
        provider = provider != null ? provider : parent.provider;
    }

    /** start.sh changes into the project directory; it passes the directory it was called from along. */
    private Path callerDir() {
        String d = env.get("ANTHROPIC_PROXY_CALLER_DIR");
        return d != null && !d.isBlank() ? Path.of(d) : Path.of("").toAbsolutePath();
    }

    static String baseUrl(String host, int port) {
        String h = host == null || host.isBlank() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")
                ? "127.0.0.1"
                : host;
        if (h.contains(":") && !h.startsWith("[")) {
            h = "[" + h + "]";
        }
        return "http://" + h + ":" + port;
    }

    /**
     * What Claude Code sends as its key: the first client key of the config when client keys are required (a key given
     * only as its sha256 digest cannot be sent, so the user's own ANTHROPIC_AUTH_TOKEN is kept then); else a
     * placeholder, which the proxy replaces with the upstream's credential anyway.
     */
    String token(List<String> clientKeys, PrintWriter err) {
        for (String k : clientKeys) {
            if (!k.startsWith("sha256:")) {
                return k;
            }
        }
        if (!clientKeys.isEmpty()) {
            String own = env.get("ANTHROPIC_AUTH_TOKEN");
            if (own != null && !own.isBlank()) {
                return own;
            }
            err.println(
                    "anthropic-proxy: the config's client_keys are sha256 digests, so the key itself is unknown here: "
                            + "set ANTHROPIC_AUTH_TOKEN to your client key");
            err.flush();
        }
        return PLACEHOLDER_TOKEN;
    }

    private static void printEnv(PrintWriter out, String baseUrl, String token) {
        out.println("export ANTHROPIC_BASE_URL=" + shellQuote(baseUrl));
        out.println("export ANTHROPIC_AUTH_TOKEN=" + shellQuote(token));
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode settingsEnv =
                f.objectNode().put("ANTHROPIC_BASE_URL", baseUrl).put("ANTHROPIC_AUTH_TOKEN", token);
        ArrayNode vscode = f.arrayNode();
        vscode.addObject().put("name", "ANTHROPIC_BASE_URL").put("value", baseUrl);
        vscode.addObject().put("name", "ANTHROPIC_AUTH_TOKEN").put("value", token);
        out.println("# VS Code and other IDEs: ~/.claude/settings.json {\"env\": " + settingsEnv
                + "} (read by the CLI and the extension), or VS Code settings \"claudeCode.environmentVariables\": "
                + vscode);
        out.println(
                "# unset ANTHROPIC_API_KEY (Claude Code would send it instead); if Claude Code still asks you to log in,"
                        + " set \"hasCompletedOnboarding\": true in ~/.claude.json");
        out.flush();
    }

    static String shellQuote(String s) {
        return SHELL_SAFE.matcher(s).matches() ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    /** Empty when {@code GET /health} answers within the timeout; else what went wrong, for the message. */
    static Optional<String> healthProblem(String baseUrl, Duration timeout) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
        try {
            HttpResponse<Void> r = client.send(
                    HttpRequest.newBuilder(URI.create(baseUrl + "/health"))
                            .timeout(timeout)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            // 401/403: a proxy that wants a key for /health is running all the same
            return r.statusCode() == 200 || r.statusCode() == 401 || r.statusCode() == 403
                    ? Optional.empty()
                    : Optional.of("GET /health answered " + r.statusCode());
        } catch (ConnectException e) {
            return Optional.of("connection refused");
        } catch (HttpTimeoutException e) {
            return Optional.of("no answer within " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            return Optional.of(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        } finally {
            client.close();
        }
    }

    private void notRunning(PrintWriter err, String baseUrl, String problem, int port, Path configFile) {
        String configFlag = configFile == null ? "" : " --config " + shellQuote(configFile.toString());
        err.println("anthropic-proxy: no proxy is answering at " + baseUrl + " (" + problem + ").");
        err.println("Start it in another terminal:");
        err.println("  " + launch.startHint() + " --port " + port + configFlag);
        err.println("or let this command start it in the background:");
        err.println("  " + launch.startHint() + " claude --start --port " + port + configFlag);
        err.flush();
    }

    /** Starts the proxy detached from this terminal; null when it answers, else the exit code to end with. */
    private Integer startProxy(PrintWriter err, String baseUrl, ProxyConfig cfg, Path configFile)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            cmd.add(setsid.toString()); // own session: Ctrl-C in this terminal must not reach the proxy
        }
        cmd.addAll(launch.javaCommand());
        cmd.addAll(List.of(
                "--host",
                cfg.server().host(),
                "--port",
                Integer.toString(cfg.server().port())));
        if (configFile != null) {
            cmd.addAll(List.of("--config", configFile.toString()));
        }
        if (provider != null) {
            cmd.addAll(List.of("--provider", provider));
        }
        Path workDir = launch.workingDirectory(home);
        Files.createDirectories(workDir);
        Path log = workDir.resolve(cfg.logFile()).normalize();
        Files.createDirectories(log.getParent());
        // stdout repeats the log file's lines; stderr carries what comes before logging starts (bad flags, no port)
        Process p = new ProcessBuilder(cmd)
                .directory(workDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        err.println("anthropic-proxy: starting the proxy in the background (pid " + p.pid() + "), log " + log);
        err.flush();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (healthProblem(baseUrl, HEALTH_TIMEOUT).isEmpty()) {
                err.println("anthropic-proxy: proxy answering at " + baseUrl + "; stop it with: kill " + p.pid());
                err.flush();
                return null;
            }
            if (p.waitFor(250, TimeUnit.MILLISECONDS)) {
                err.println("anthropic-proxy: the proxy exited with code " + p.exitValue() + " before answering; see "
                        + log);
                err.flush();
                return 1;
            }
        }
        err.println("anthropic-proxy: the proxy (pid " + p.pid() + ") did not answer at " + baseUrl + " within "
                + START_TIMEOUT.toSeconds() + " s; see " + log);
        err.flush();
        return 1;
    }

    private int runClaude(PrintWriter err, Path dir, String baseUrl, String token) throws InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(claudeBin);
        cmd.addAll(claudeArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).inheritIO();
        Map<String, String> childEnv = pb.environment();
        childEnv.clear();
        childEnv.putAll(env);
        childEnv.put("ANTHROPIC_BASE_URL", baseUrl);
        childEnv.put("ANTHROPIC_AUTH_TOKEN", token);
        childEnv.remove("ANTHROPIC_API_KEY"); // Claude Code would send it instead of the token
        childEnv.remove("ANTHROPIC_PROXY_CALLER_DIR");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            err.println("anthropic-proxy: cannot run '" + claudeBin + "': " + e.getMessage()
                    + ". Install Claude Code (npm install -g @anthropic-ai/claude-code) or name it with --claude-bin.");
            err.flush();
            return 127;
        }
        Interrupts.ignore(); // Ctrl-C belongs to claude; ending this JVM would orphan it in the terminal
        return p.waitFor();
    }
}
