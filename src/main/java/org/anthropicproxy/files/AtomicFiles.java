package org.anthropicproxy.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.UUID;

/**
 * Replaces a file so that readers (and a process killed mid-write) see the old or the new content, never half of
 * one: a temp file {@code <name>.tmp-<uuid>} in the same directory, fsync, atomic rename, fsync of the directory.
 * A symlinked target is replaced at the link's destination so the link survives.
 */
public final class AtomicFiles {

    public static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private AtomicFiles() {}

    /** @param ownerOnly give the file mode 0600 (credential files), else the umask's default */
    public static void write(Path target, byte[] content, boolean ownerOnly) throws IOException {
        Path real = Files.isSymbolicLink(target) ? target.toRealPath() : target;
        Path dir = real.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(real.getFileName() + ".tmp-" + UUID.randomUUID());
        boolean posix = ownerOnly && Files.getFileStore(dir).supportsFileAttributeView("posix");
        FileAttribute<?>[] attrs = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
                : new FileAttribute<?>[0];
        try {
            try (FileChannel ch =
                    FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attrs)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            if (posix) {
                // the umask may have narrowed the create mode; make sure it is exactly 0600
                Files.setPosixFilePermissions(tmp, OWNER_ONLY);
            }
            try {
                Files.move(tmp, real, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, real, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            // not every platform can open a directory; the rename itself is still atomic
        }
    }
}
