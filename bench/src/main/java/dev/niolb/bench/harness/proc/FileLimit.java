package dev.niolb.bench.harness.proc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * This process's open-file limit ({@code Max open files} in {@code /proc/self/limits}). The JVM raises
 * its soft limit to the hard one at start, and child processes inherit it.
 */
public final class FileLimit {

    private FileLimit() {
    }

    /** The soft limit now in force, empty when unknown or unlimited. */
    public static OptionalLong soft() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    final String[] words = line.substring("Max open files".length()).strip().split("\\s+");
                    return "unlimited".equals(words[0]) ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(words[0]));
                }
            }
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }
}
