package dev.niolb.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A small tmpfs under a test's directory: a disk to fill. Skips the test where it cannot be mounted (not root). */
public record SmallDisk(Path path) implements AutoCloseable {
    /** 64 KiB. */
    public static SmallDisk mount(final Path dir) throws IOException, InterruptedException {
        return mount(dir, "size=64k");
    }

    public static SmallDisk mount(final Path dir, final String options) throws IOException, InterruptedException {
        final Path disk = Files.createDirectories(dir.resolve("disk"));
        final Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", options, "tmpfs", disk.toString())
            .redirectErrorStream(true).start();
        final String says = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assumptions.assumeTrue(mount.waitFor() == 0,
            () -> "a full disk needs a small tmpfs, which needs root: " + says.strip());
        return new SmallDisk(disk);
    }

    /** Writes until the disk is full: what is written stays. */
    public Path fill() throws IOException {
        final Path filler = path.resolve("filler");
        try (var out = Files.newOutputStream(filler)) {
            out.write(new byte[128 * 1024]); // more than the disk: the write fails part way
        } catch (final IOException full) {
            // the disk is full
        }
        return filler;
    }

    /** Unmounts it; lazily when a file on it is still open (a test's appender's rotation may hold one). */
    @Override
    public void close() throws IOException, InterruptedException {
        if (new ProcessBuilder("umount", path.toString()).start().waitFor() != 0) {
            new ProcessBuilder("umount", "-l", path.toString()).start().waitFor();
        }
    }
}
