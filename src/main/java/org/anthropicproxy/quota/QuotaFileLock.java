package org.anthropicproxy.quota;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lets several processes share one quota file: each read-modify-write of {@code <file>} happens under an exclusive
 * lock on {@code <file>.lock} (an OS file lock, let go of when a process dies however it dies), and tells whether
 * another writer replaced the file since this process last saw it. Within one JVM the OS lock is not enough (it
 * belongs to the process), so stores of one file in one JVM also take a lock of their own first.
 * FileQuotaStoreSharingTest runs two processes against one file.
 */
final class QuotaFileLock implements AutoCloseable {

    private static final ConcurrentHashMap<Path, ReentrantLock> IN_JVM = new ConcurrentHashMap<>();

    private final Path file;
    private final ReentrantLock inJvm;
    private final FileChannel channel; // null when the lock file cannot be made: one process only, as before
    private volatile Object seen; // the file's identity and time when this process last read or wrote it

    QuotaFileLock(Path file) {
        this.file = file;
        this.inJvm = IN_JVM.computeIfAbsent(file, f -> new ReentrantLock());
        FileChannel ch;
        try {
            ch = FileChannel.open(
                    file.resolveSibling(file.getFileName() + ".lock"),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
        } catch (IOException | UnsupportedOperationException e) {
            ch = null;
        }
        this.channel = ch;
    }

    /** Holds the lock until closed. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    Held acquire() throws IOException {
        inJvm.lock();
        FileLock lock;
        try {
            lock = channel == null ? null : channel.lock();
        } catch (IOException | RuntimeException e) {
            inJvm.unlock();
            throw e;
        }
        return () -> {
            try {
                if (lock != null) {
                    lock.release();
                }
            } catch (IOException ignored) {
                // closing the channel or the process's end releases it
            } finally {
                inJvm.unlock();
            }
        };
    }

    /** Whether the file was replaced (by another process) since {@link #seenNow} was last called. */
    boolean changedSinceSeen() {
        return !Objects.equals(seen, stamp());
    }

    /** Records the file as it is now as seen: after writing it under the lock. */
    void seenNow() {
        seen = stamp();
    }

    /** Records {@code stamp}, taken before the file was read, as seen: a write after that stamp is read next time. */
    void seen(Object stamp) {
        seen = stamp;
    }

    /** The file's identity, time and size now (null when there is none). */
    Object stamp() {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            // every write is a rename of a new file: a new file key (inode) even within one timestamp tick
            return List.of(String.valueOf(a.fileKey()), a.lastModifiedTime(), a.size());
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return e.getClass().getName();
        }
    }

    @Override
    public void close() {
        if (channel == null) {
            return;
        }
        // closing any channel of a file frees every lock this process holds on it: not while another store holds one
        inJvm.lock();
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing held any more
        } finally {
            inJvm.unlock();
        }
    }
}
