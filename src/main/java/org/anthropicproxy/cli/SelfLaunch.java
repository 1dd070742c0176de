package org.anthropicproxy.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How this program is installed, so it can start itself again (as a systemd service, or in the background for
 * {@code claude --start}): from a build tree, where {@code <project>/target} holds the jar or the classes and
 * {@code <project>/start.sh} exists, or from a jar anywhere else.
 *
 * @param codeSource the jar, or the classes directory, this class was loaded from
 * @param javaBin    the java binary running now (services do not see the shell's PATH or JAVA_HOME)
 * @param classPath  the class path running now, for starting a copy when there is no jar
 */
record SelfLaunch(Path codeSource, Path javaBin, String classPath) {

    static final String MAIN_CLASS = "org.anthropicproxy.cli.Main";

    static SelfLaunch current() {
        Path source;
        try {
            source = Path.of(Main.class
                            .getProtectionDomain()
                            .getCodeSource()
                            .getLocation()
                            .toURI())
                    .toAbsolutePath()
                    .normalize();
        } catch (URISyntaxException | RuntimeException e) {
            source = Path.of(System.getProperty("java.class.path", ".")).toAbsolutePath();
        }
        return new SelfLaunch(
                source, Path.of(System.getProperty("java.home"), "bin", "java"), System.getProperty("java.class.path"));
    }

    /** {@code <project>} when running from {@code <project>/target/…} next to {@code <project>/start.sh}. */
    Optional<Path> projectDir() {
        for (Path p = codeSource.getParent(); p != null; p = p.getParent()) {
            if (p.getFileName() != null && p.getFileName().toString().equals("target")) {
                Path project = p.getParent();
                return project != null && Files.isRegularFile(project.resolve("start.sh"))
                        ? Optional.of(project)
                        : Optional.empty();
            }
        }
        return Optional.empty();
    }

    boolean isJar() {
        return Files.isRegularFile(codeSource)
                && codeSource.getFileName().toString().endsWith(".jar");
    }

    /** The proxy as a long-running service: the project's start.sh (rebuilds when sources changed), else java. */
    List<String> serviceCommand() {
        return projectDir().map(p -> List.of(p.resolve("start.sh").toString())).orElseGet(this::javaCommand);
    }

    /**
     * This same code in another JVM with the proxy's flags ({@link JvmFlags}): {@code java <flags> -jar <jar>}, or
     * {@code java <flags> -cp <class path> Main} from classes.
     */
    List<String> javaCommand() {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin.toString());
        Path archiveDir = codeSource.getParent() != null ? codeSource.getParent() : codeSource;
        cmd.addAll(JvmFlags.forJava(javaBin, archiveDir));
        if (isJar()) {
            cmd.add("-jar");
            cmd.add(codeSource.toString());
        } else {
            cmd.add("-cp");
            cmd.add(classPath);
            cmd.add(MAIN_CLASS);
        }
        return cmd;
    }

    /**
     * Where a proxy started by us runs, so its relative files (log, quota state) land somewhere sensible: the project
     * directory for a build tree (where {@code ./start.sh} puts them too), else {@code ~/.local/state/anthropic-proxy}.
     */
    Path workingDirectory(Path home) {
        return projectDir().orElseGet(() -> home.resolve(".local/state/anthropic-proxy"));
    }

    /** What a user types to start the proxy by hand, for messages. */
    String startHint() {
        return projectDir()
                .map(p -> p.resolve("start.sh").toString())
                .orElseGet(() -> isJar() ? "java -jar " + codeSource : "anthropic-proxy");
    }
}
