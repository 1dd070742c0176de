package org.anthropicproxy.hostile;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The proxy as users run it, in a process of its own, so that what it holds (heap, sockets, CPU time) is its own and
 * is read from the process ({@code /proc/<pid>}), never guessed. It knows only the command line and the wire: the
 * same suite holds whatever HTTP engine runs inside.
 */
final class HostileProxy implements AutoCloseable {

    static final String CLIENT_KEY = "client-key";
    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final int port;
    private final StringBuffer output;

    private HostileProxy(Process process, int port, StringBuffer output) {
        this.process = process;
        this.port = port;
        this.output = output;
    }

    /** A config with one Anthropic-format provider at {@code upstream}, a client key, and {@code serverYaml} keys. */
    static String config(String upstream, String serverYaml) {
        return (serverYaml.isEmpty() ? "" : "server: {" + serverYaml + "}\n")
                + "providers:\n  up: {kind: anthropic, base_url: \"" + upstream + "\", api_key: upstream-key}\n"
                + "route: [up]\nclient_keys: [" + CLIENT_KEY + "]\n";
    }

    /**
     * Starts {@code java -Xmx<heap> cli.Main --config <config>} in {@code dir}; with {@code maxFiles} > 0 under
     * {@code ulimit -n maxFiles} (the shell execs java, so the pid is the proxy's).
     */
    static HostileProxy start(Path dir, String config, String heap, int maxFiles) throws IOException {
        Path file = dir.resolve("config.yaml");
        Files.writeString(file, config);
        String logback = mainLogbackConfig();
        List<String> java = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap,
                "-Duser.home=" + dir,
                "-Dlogback.configurationFile=" + logback,
                "-cp",
                System.getProperty("java.class.path"),
                "org.anthropicproxy.cli.Main",
                "--config",
                file.toString(),
                "--port",
                "0",
                "--quota-file",
                dir.resolve("quota.json").toString(),
                "--log-file",
                dir.resolve("proxy.log").toString()));
        List<String> cmd = new ArrayList<>();
        if (maxFiles > 0) {
            cmd.addAll(List.of("sh", "-c", "ulimit -n " + maxFiles + " && exec \"$0\" \"$@\""));
        }
        cmd.addAll(java);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("HOME", dir.toString());
        pb.environment()
                .keySet()
                .removeIf(k -> k.startsWith("XDG_") || k.startsWith("ANTHROPIC_") || k.startsWith("CODEBUDDY_"));
        Process p = pb.start();
        @SuppressWarnings("JdkObsolete") // the reader thread appends while the test thread reads
        StringBuffer out = new StringBuffer();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    out.append(line).append('\n');
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
            port.completeExceptionally(new IllegalStateException("the proxy exited before listening:\n" + out));
        });
        try {
            return new HostileProxy(p, port.get(60, TimeUnit.SECONDS), out);
        } catch (Exception e) {
            p.destroyForcibly();
            throw new AssertionError("the proxy did not start within 60 s:\n" + out, e);
        }
    }

    private static String mainLogbackConfig() {
        try {
            return Path.of(HostileProxy.class
                            .getClassLoader()
                            .getResource("logback.xml")
                            .toURI())
                    .toString();
        } catch (java.net.URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    String output() {
        return output.toString();
    }

    Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(30_000);
        return s;
    }

    /** The proxy's own sockets (inodes of its open file descriptors). */
    Set<String> socketInodes() throws IOException {
        Set<String> inodes = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid()), "fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException ignored) {
                    // closed while listing
                }
            }
        }
        return inodes;
    }

    /**
     * The proxy's TCP sockets to or from {@code remotePort} in TCP state {@code state} (hex, as in /proc/net/tcp:
     * 01 established, 08 close-wait), read from /proc/&lt;pid&gt;/net/tcp and tcp6 and matched against its descriptors.
     */
    int sockets(int remotePort, String state) throws IOException {
        Set<String> mine = socketInodes();
        int n = 0;
        for (String table : List.of("tcp", "tcp6")) {
            Path p = Path.of("/proc", Long.toString(pid()), "net", table);
            if (!Files.exists(p)) {
                continue;
            }
            for (String line :
                    Files.readAllLines(p).subList(1, Files.readAllLines(p).size())) {
                String[] f = line.trim().split("\\s+", -1);
                String remote = f[2];
                int rport = Integer.parseInt(remote.substring(remote.indexOf(':') + 1), 16);
                if (rport == remotePort && f[3].equalsIgnoreCase(state) && mine.contains(f[9])) {
                    n++;
                }
            }
        }
        return n;
    }

    /** User plus system CPU time of the process so far, in clock ticks (/proc/&lt;pid&gt;/stat fields 14 and 15). */
    long cpuTicks() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ", -1);
        // f[0] is field 3 (state): utime is field 14, stime field 15
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** Open file descriptors of the process. */
    int openFiles() throws IOException {
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid()), "fd"))) {
            return (int) fds.count();
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
