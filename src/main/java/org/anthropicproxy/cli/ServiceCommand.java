package org.anthropicproxy.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.config.ConfigException;
import org.anthropicproxy.config.ConfigLoader;
import org.anthropicproxy.config.ProxyConfig;
import org.anthropicproxy.files.UserDirs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code anthropic-proxy service install|uninstall}: a systemd <em>user</em> unit, so no root is needed. Writes the
 * file and says which {@code systemctl --user} commands to run; it never runs them itself.
 */
@Command(
        name = "service",
        mixinStandardHelpOptions = true,
        versionProvider = VersionLines.class,
        description =
                "Install or remove a systemd user service (${XDG_CONFIG_HOME:-~/.config}/systemd/user/anthropic-proxy.service).",
        subcommands = {ServiceCommand.Install.class, ServiceCommand.Uninstall.class})
public final class ServiceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    private final UserDirs dirs;
    private final SelfLaunch launch;

    public ServiceCommand() {
        this(UserDirs.current(), SelfLaunch.current());
    }

    ServiceCommand(Path home, SelfLaunch launch) {
        this(UserDirs.under(home, Map.of()), launch);
    }

    ServiceCommand(UserDirs dirs, SelfLaunch launch) {
        this.dirs = dirs;
        this.launch = launch;
    }

    /** Where systemd looks for the user's own units: {@code ${XDG_CONFIG_HOME:-~/.config}/systemd/user}. */
    Path unitFile() {
        return dirs.configHome().resolve("systemd/user").resolve(ServiceUnit.NAME + ".service");
    }

    Path envFile() {
        return dirs.configHome().resolve("anthropic-proxy/env");
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return Main.EXIT_USAGE;
    }

    @Command(
            name = "install",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            description =
                    "Write the unit (running the proxy with these flags) and print the systemctl commands to start it.")
    static final class Install implements Callable<Integer> {

        @ParentCommand
        ServiceCommand service;

        @Spec
        CommandSpec spec;

        @Option(
                names = "--provider",
                paramLabel = "NAME",
                description = "A preset (native, codebuddy, hybrid) or a provider from the config file")
        String provider;

        @Option(names = "--port", description = "Listen port (default 8080 or the config file's)")
        Integer port;

        @Option(names = "--host", description = "Listen address (default 127.0.0.1 or the config file's)")
        String host;

        @Option(
                names = "--config",
                paramLabel = "FILE",
                description = "YAML config; its absolute path goes into the unit")
        Path config;

        @Option(names = "--dry-run", description = "Print the unit instead of writing it")
        boolean dryRun;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Path home = service.dirs.home();
            Path configFile = config == null ? null : config.toAbsolutePath().normalize();
            ProxyConfig cfg;
            try {
                // the same checks the service would make at start: a unit that fails in a restart loop helps nobody
                Path effective = configFile != null ? configFile : ConfigLoader.defaultConfigFile(service.dirs);
                if (configFile == null
                        && effective != null
                        && !effective.equals(UserDirs.under(home, Map.of()).defaultConfigFile())) {
                    configFile = effective; // found through XDG_CONFIG_HOME, which the service manager does not pass on
                }
                cfg = new ConfigLoader(System.getenv())
                        .load(effective, new CliOverrides(host, port, provider, null, null, null));
            } catch (ConfigException e) {
                err.println("anthropic-proxy: " + e.getMessage());
                err.flush();
                return Main.EXIT_USAGE;
            }
            List<String> command = new ArrayList<>(service.launch.serviceCommand());
            if (provider != null) {
                command.addAll(List.of("--provider", provider));
            }
            if (port != null) {
                command.addAll(List.of("--port", port.toString()));
            }
            if (host != null) {
                command.addAll(List.of("--host", host));
            }
            if (configFile != null) {
                command.addAll(List.of("--config", configFile.toString()));
            }
            Path workDir = service.launch.workingDirectory(home);
            Path javaHome = service.launch.javaBin().getParent().getParent();
            String unit = new ServiceUnit(command, workDir, javaHome, service.envFile()).render();
            Path file = service.unitFile();
            if (dryRun) {
                out.print(unit);
                out.flush();
                err.println("(dry run: nothing written; `service install` without --dry-run writes " + file + ")");
                err.flush();
                return 0;
            }
            boolean replaced = Files.exists(file);
            Files.createDirectories(file.getParent());
            Files.createDirectories(workDir);
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, unit);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Path log = workDir.resolve(cfg.logFile()).normalize();
            out.println((replaced ? "replaced " : "wrote ") + file);
            out.println("  runs      " + String.join(" ", command));
            out.println("  in        " + workDir);
            out.println("  log file  " + log + " (the journal has the same lines)");
            out.println();
            out.println("start it now and at every login, then check and follow it:");
            out.println("  systemctl --user daemon-reload");
            out.println(
                    replaced
                            ? "  systemctl --user enable anthropic-proxy && systemctl --user restart anthropic-proxy"
                            : "  systemctl --user enable --now anthropic-proxy");
            out.println("  systemctl --user status anthropic-proxy");
            out.println("  journalctl --user -u anthropic-proxy -f");
            out.println("  tail -f " + log);
            out.println();
            out.println("keep it running while you are logged out:  loginctl enable-linger $USER");
            out.println("the service does not see your shell's variables: put the ${VAR}s your config uses in "
                    + service.envFile() + " (KEY=value lines)");
            out.flush();
            return 0;
        }
    }

    @Command(
            name = "uninstall",
            mixinStandardHelpOptions = true,
            description = "Remove the unit and its enable link; print the commands that stop the running service.")
    static final class Uninstall implements Callable<Integer> {

        @ParentCommand
        ServiceCommand service;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            Path file = service.unitFile();
            Path wants = file.resolveSibling("default.target.wants").resolve(file.getFileName());
            boolean linked = Files.deleteIfExists(wants);
            if (!Files.deleteIfExists(file)) {
                out.println("no service installed (" + file + " does not exist)");
                if (linked) {
                    out.println("removed the leftover enable link " + wants);
                }
                out.flush();
                return 0;
            }
            out.println("removed " + file);
            if (linked) {
                out.println("removed " + wants + " (the enable link: what `systemctl --user disable` removes)");
            }
            out.println();
            out.println("a running proxy keeps running until stopped; stop it and let systemd forget the unit:");
            out.println("  systemctl --user stop anthropic-proxy");
            out.println("  systemctl --user daemon-reload");
            out.println(
                    "(systemctl --user disable --now anthropic-proxy does stop + disable in one step, but only while the unit file exists)");
            out.flush();
            return 0;
        }
    }
}
