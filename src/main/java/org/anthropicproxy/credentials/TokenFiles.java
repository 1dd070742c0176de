package org.anthropicproxy.credentials;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.anthropicproxy.files.AtomicFiles;

/** File chores for credential files: change detection, permission checks, and crash-safe replacement. */
final class TokenFiles {
    static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private TokenFiles() {}

    /** What identifies one version of a file without reading it. */
    record Stamp(Path path, long modifiedNanos, long size, Object fileKey) {}

    /** @return the stamp, or null when the file does not exist (or is not a regular file) */
    static Stamp stamp(Path path) {
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
            if (!a.isRegularFile()) {
                return null;
            }
            return new Stamp(path, a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.size(), a.fileKey());
        } catch (IOException e) {
            return null;
        }
    }

    /** @return the permissions when wider than 0600 (group/other bits set), else null (or not POSIX) */
    static Set<PosixFilePermission> widerThanOwnerOnly(Path path) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path);
            for (PosixFilePermission p : perms) {
                if (!OWNER_ONLY.contains(p) && p != PosixFilePermission.OWNER_EXECUTE) {
                    return perms;
                }
            }
            return null;
        } catch (UnsupportedOperationException | IOException e) {
            return null;
        }
    }

    /** Replaces {@code target} atomically with mode 0600 (see {@link AtomicFiles}). */
    static void writeAtomically(Path target, byte[] content) throws IOException {
        AtomicFiles.write(target, content, true);
    }
}
