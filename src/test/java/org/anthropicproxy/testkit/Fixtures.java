package org.anthropicproxy.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads the wire-format fixtures in {@code src/test/resources/fixtures}: recordings and documented examples of Anthropic
 * and Chat Completions answers (their sources and licences in {@code SOURCES.md} there), plus synthetic edge cases.
 */
public final class Fixtures {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = locate();

    private Fixtures() {}

    private static Path locate() {
        Path p = Path.of("src/test/resources/fixtures");
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException(
                    "fixtures not found: " + p.toAbsolutePath() + " (tests run from the project directory)");
        }
        return p;
    }

    public static Path root() {
        return ROOT;
    }

    public static Path path(String relative) {
        Path p = ROOT.resolve(relative);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("no fixture " + p);
        }
        return p;
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

    public static JsonNode json(String relative) {
        try {
            return JSON.readTree(bytes(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ObjectNode object(String relative) {
        return (ObjectNode) json(relative);
    }

    /** Relative names ({@code dir/file}) of the files in {@code dir} ending with {@code suffix}, sorted. */
    public static List<String> list(String dir, String suffix) {
        try (Stream<Path> s = Files.list(ROOT.resolve(dir))) {
            return s.map(p -> dir + "/" + p.getFileName())
                    .filter(n -> n.endsWith(suffix))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
