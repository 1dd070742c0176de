package org.anthropicproxy.observe;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One writer per log file: a process writes (and rolls) a log file only while it holds an exclusive lock on
 * {@code <file>.lock} beside it, kept until it exits (the OS lets go of it then, whatever the way out). Two proxies
 * started from one checkout would otherwise roll one file from two processes, each renaming the other's file away
 * under it; the second instead writes {@code <name>-2.log} (then {@code -3}, …) and is told so (LogFileClaimTest).
 */
public final class LogFileClaim {

    /** The file this process writes and the one it wanted, when another process holds that one. */
    public record Claimed(Path file, Path wanted, String holder) {
        public boolean moved() {
            return !file.equals(wanted);
        }
    }

    private static final int MAX_ALTERNATIVES = 20;
    private static FileChannel held; // kept open for the life of the process: closing it would release the lock
    private static Path heldFor;

    private LogFileClaim() {}

    /** Claims {@code wanted} or the first free alternative; an unwritable directory leaves the choice to Logback. */
    public static synchronized Claimed claim(Path wanted) {
        Path want = wanted.toAbsolutePath().normalize();
        if (want.equals(heldFor)) {
            return new Claimed(want, want, null);
        }
        String holder = null;
        for (int i = 1; i <= MAX_ALTERNATIVES; i++) {
            Path candidate = i == 1 ? want : alternative(want, i);
            if (candidate.equals(heldFor)) {
                return new Claimed(candidate, want, holder); // reopening a held lock file and closing it would free it
            }
            try {
                FileChannel ch = FileChannel.open(
                        lockFile(candidate),
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                FileLock lock;
                try {
                    lock = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null;
                }
                if (lock == null) {
                    if (i == 1) {
                        holder = holderOf(ch);
                    }
                    ch.close();
                    continue;
                }
                ch.truncate(0);
                ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
                release();
                held = ch;
                heldFor = candidate;
                return new Claimed(candidate, want, holder);
            } catch (IOException e) {
                return new Claimed(want, want, null);
            }
        }
        return new Claimed(want, want, holder);
    }

    /** {@code anthropic_server.log} → {@code anthropic_server-2.log}; a name without extension gets {@code -2}. */
    static Path alternative(Path file, int n) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String alt = dot > 0 ? name.substring(0, dot) + "-" + n + name.substring(dot) : name + "-" + n;
        return file.resolveSibling(alt);
    }

    static Path lockFile(Path file) {
        return file.resolveSibling(file.getFileName() + ".lock");
    }

    private static String holderOf(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            ch.read(b, 0);
            String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
            return pid.matches("\\d+") ? pid : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static void release() throws IOException {
        if (held != null) {
            held.close();
            held = null;
            heldFor = null;
        }
    }
}
