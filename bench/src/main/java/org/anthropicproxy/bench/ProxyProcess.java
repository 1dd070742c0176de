package org.anthropicproxy.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The proxy (or a reference proxy) as a child process, with its CPU time and memory read from /proc. */
final class ProxyProcess implements AutoCloseable {

    /** Clock ticks per second for /proc/pid/stat (USER_HZ: 100 on every Linux build that matters). */
    static final long CLK_TCK = 100;

    final Process process;
    final long pid;
    final long startedNanos;

    private ProxyProcess(Process process, long startedNanos) {
        this.process = process;
        this.pid = process.pid();
        this.startedNanos = startedNanos;
    }

    static ProxyProcess start(String java, List<String> jvmOpts, Path jar, Path config, int port, Path dir)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmOpts);
        cmd.addAll(List.of(
                "-jar",
                jar.toString(),
                "--config",
                config.toString(),
                "--port",
                Integer.toString(port),
                "--log-file",
                dir.resolve("proxy.log").toString(),
                "--quota-file",
                dir.resolve("quota_state.json").toString()));
        return run(cmd, dir.resolve("proxy.out"));
    }

    /** Any server process (the bench's reference proxies too), its output appended to {@code out}. */
    static ProxyProcess run(List<String> cmd, Path out) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()));
        long t0 = System.nanoTime();
        return new ProxyProcess(pb.start(), t0);
    }

    boolean alive() {
        return process.isAlive();
    }

    /** utime + stime of the whole process (all threads: request handling, GC, JIT), in clock ticks. */
    long cpuTicks() {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of proc(5)
        } catch (IOException e) {
            return -1;
        }
    }

    /** CPU ticks per thread group (thread name with digits dropped: "C2 CompilerThre", "ForkJoinPool-N-w", …). */
    java.util.Map<String, Long> threadTicks() {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        eachThread(t -> {
            String stat = Files.readString(t.resolve("stat"));
            String name =
                    stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("\\d+", "N");
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            out.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
            out.merge("(all: system time)", Long.parseLong(f[12]), Long::sum);
        });
        return out;
    }

    private interface ThreadReader {
        void read(Path taskDir) throws IOException;
    }

    /** {@code reader} on each thread's /proc/pid/task/N directory; a thread that ends meanwhile is skipped. */
    private void eachThread(ThreadReader reader) {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    reader.read(t);
                } catch (IOException | RuntimeException e) {
                    // thread ended meanwhile
                }
            }
        } catch (IOException e) {
            // process gone
        }
    }

    /**
     * Context switches of all the process's threads so far (voluntary + involuntary, /proc/pid/task/N/status): each is a
     * thread that parked and was woken, which on a VM costs more than the work many of them do.
     */
    long contextSwitches() {
        long[] sum = {0};
        eachThread(t -> {
            for (String line : Files.readAllLines(t.resolve("status"))) {
                if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                    sum[0] +=
                            Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                }
            }
        });
        return sum[0];
    }

    /** A kB figure from /proc/pid/status (VmRSS, VmHWM), or -1. */
    long statusKb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(
                            line.substring(field.length() + 1).replace("kB", "").strip());
                }
            }
        } catch (IOException e) {
            // gone
        }
        return -1;
    }

    @Override
    public void close() {
        process.destroy(); // SIGTERM: a clean exit (an AutoCreateSharedArchive archive is written at exit)
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
