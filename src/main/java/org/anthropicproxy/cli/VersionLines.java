package org.anthropicproxy.cli;

import java.nio.file.Path;
import org.anthropicproxy.config.CliOverrides;
import org.anthropicproxy.config.ConfigException;
import org.anthropicproxy.config.ConfigLoader;
import org.anthropicproxy.config.ProxyConfig;
import org.anthropicproxy.files.UserDirs;
import org.anthropicproxy.server.Version;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code --version}: version and build time, then the provider chain the same flags would run (reading the config
 * is cheap; a config problem is shown in place of the chain, never as a failure of {@code --version}).
 */
final class VersionLines implements CommandLine.IVersionProvider {

    @Spec
    CommandSpec spec;

    @Override
    public String[] getVersion() {
        String version = "anthropic-proxy " + Version.VERSION + " (built " + Version.BUILD_TIME + ")";
        Main main = spec != null && spec.root().userObject() instanceof Main m ? m : null;
        if (main == null) {
            return new String[] {version};
        }
        return new String[] {version, route(main)};
    }

    static String route(Main main) {
        try {
            UserDirs dirs = UserDirs.current();
            Path file = main.config != null ? main.config : ConfigLoader.defaultConfigFile(dirs);
            ProxyConfig cfg = new ConfigLoader(System.getenv())
                    .load(file, new CliOverrides(main.host, main.port, main.provider, null, null, null));
            String source = file != null ? cfg.source() : cfg.source() + ", no " + dirs.defaultConfigFile();
            return "route: " + String.join(" -> ", cfg.route()) + " (config: " + source + ")";
        } catch (ConfigException e) {
            return "route: unknown, the config has a problem: " + e.getMessage();
        }
    }
}
