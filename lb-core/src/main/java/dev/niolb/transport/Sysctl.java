package dev.niolb.transport;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The kernel's integer settings niolb reads from {@code /proc/sys}; 0 for one that cannot be read (not Linux). */
public final class Sysctl {
    public static final Path RMEM_DEFAULT = Path.of("/proc/sys/net/core/rmem_default");
    public static final Path RMEM_MAX = Path.of("/proc/sys/net/core/rmem_max");
    public static final Path WMEM_MAX = Path.of("/proc/sys/net/core/wmem_max");

    private Sysctl() {
    }

    /**
     * An integer sysctl; 0 where it cannot be read. Read whole in one call: the kernel's integer sysctls answer a
     * read at a non-zero offset with nothing, so {@code Files.readString}, which reads a file of size 0 a byte
     * first, sees {@code 4} of {@code 4194304}.
     */
    public static int read(final Path file) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
            final String line = in.readLine();
            return line == null ? 0 : Integer.parseInt(line.strip());
        } catch (final IOException | RuntimeException e) {
            return 0;
        }
    }
}
