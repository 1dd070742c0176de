package org.anthropicproxy.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's JVM flags as {@code jvm.options} (a resource, also read by start.sh) lists them, for the JVM at
 * {@code javaBin}: {@code claude --start} and {@code service install} start the proxy with the flags its measured
 * start-up, memory and CPU figures assume (JvmFlagsTest).
 */
final class JvmFlags {

    private static final Path THP = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    private JvmFlags() {}

    /** The flags for {@code javaBin}, the class-data archive kept in {@code archiveDir}. */
    static List<String> forJava(Path javaBin, Path archiveDir) {
        List<String> out = new ArrayList<>();
        for (String line : lines()) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String flag = l;
            if (l.startsWith("if-accepted ")) {
                flag = l.substring("if-accepted ".length()).strip();
                if (!accepted(javaBin, flag)) {
                    continue;
                }
            } else if (l.startsWith("if-thp ")) {
                flag = l.substring("if-thp ".length()).strip();
                if (!hugePagesOffered()) {
                    continue;
                }
            }
            out.add(flag.replace("{archive}", archiveDir.toString()));
        }
        return out;
    }

    static List<String> lines() {
        try (InputStream in = JvmFlags.class.getResourceAsStream("/jvm.options")) {
            if (in == null) {
                throw new IllegalStateException("jvm.options is missing from the class path");
            }
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))
                    .lines()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean accepted(Path javaBin, String flag) {
        try {
            Process p = new ProcessBuilder(javaBin.toString(), flag, "-version")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static boolean hugePagesOffered() {
        try {
            String s = Files.readString(THP);
            return s.contains("[always]") || s.contains("[madvise]");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
