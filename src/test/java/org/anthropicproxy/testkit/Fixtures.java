package org.anthropicproxy.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The protocol fixtures of ../shared/research/fixtures (recorded or documented wire data). */
public final class Fixtures {

    private static final Path ROOT = locate();

    private Fixtures() {
    }

    private static Path locate() {
        for (Path p : new Path[] {Path.of("../shared/research/fixtures"), Path.of("/work/shared/research/fixtures")}) {
            if (Files.isDirectory(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("research fixtures not found at ../shared/research/fixtures");
    }

    public static Path root() {
        return ROOT;
    }

    public static Path path(String relative) {
        return ROOT.resolve(relative);
    }

    public static byte[] bytes(String relative) {
        try {
            return Files.readAllBytes(path(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String text(String relative) {
        return new String(bytes(relative), StandardCharsets.UTF_8);
    }
}
