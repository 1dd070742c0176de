package org.anthropicproxy.credentials;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Decides which file holds the credential; asked again on every watch tick, so a new login is found. */
interface TokenFileLocator {

    /**
     * @param chosen  the file to read, or null when none qualifies
     * @param lookedAt what was considered, in order, for "no credential" messages
     */
    record Location(Path chosen, List<String> lookedAt) {}

    Location locate();

    /** Always the same file. */
    static TokenFileLocator fixed(Path file, Path home) {
        String shown = HomePaths.display(file, home);
        return () -> new Location(TokenFiles.stamp(file) != null ? file : null, List.of(shown));
    }

    /**
     * A CodeBuddy auth directory: the first preferred name that exists, else the newest {@code *.info}; a file with
     * a {@code <name>.logged-out} marker beside it is skipped (the user logged out of that account).
     */
    static TokenFileLocator codeBuddyDir(Path dir, List<String> preferredNames, Path home) {
        return () -> {
            String shownDir = HomePaths.display(dir, home);
            List<String> looked = new ArrayList<>();
            for (String name : preferredNames) {
                looked.add(shownDir + "/" + name);
                Path p = dir.resolve(name);
                if (TokenFiles.stamp(p) != null && !loggedOut(p)) {
                    return new Location(p, looked);
                }
            }
            looked.add(shownDir + "/*.info");
            List<Path> others = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.info")) {
                for (Path p : ds) {
                    if (TokenFiles.stamp(p) != null && !loggedOut(p)) {
                        others.add(p);
                    }
                }
            } catch (IOException e) {
                return new Location(null, looked);
            }
            return new Location(
                    others.stream()
                            .max(Comparator.comparingLong((Path p) -> TokenFiles.stamp(p) == null
                                            ? Long.MIN_VALUE
                                            : TokenFiles.stamp(p).modifiedNanos())
                                    .thenComparing(Path::toString))
                            .orElse(null),
                    looked);
        };
    }

    private static boolean loggedOut(Path p) {
        return Files.exists(p.resolveSibling(p.getFileName() + ".logged-out"));
    }
}
