package dev.niolb.cli.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ArchiveCompressorTest {
    private static final String LINES = "127.0.0.1:1000 tcp client_close\n127.0.0.1:1001 tcp client_close\n";

    private static String gunzip(final Path gz) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aRotatedFileBecomesItsGzipAndThePlainFileIsDeletedOnlyOnceTheGzipIsInPlace(@TempDir final Path dir)
        throws IOException {
        final Path plain = Files.writeString(dir.resolve("access.log.2026-12-07.0"), LINES);

        new ArchiveCompressor(dir.resolve("access.log")).compress(plain);

        assertThat(gunzip(dir.resolve("access.log.2026-12-07.0.gz"))).isEqualTo(LINES);
        assertThat(plain).doesNotExist();
        assertThat(dir.resolve("access.log.2026-12-07.0.gz.tmp")).doesNotExist();
    }

    @Test
    void aCompressionThatFailsKeepsThePlainFileWholeAndLeavesNoPartialGzip(@TempDir final Path dir) throws IOException {
        final Path plain = Files.writeString(dir.resolve("access.log.2026-12-07.3"), LINES);
        // where the partial file goes, a directory with a file in it: the write fails, as on a full disk
        final Path obstacle = Files.createDirectories(dir.resolve("access.log.2026-12-07.3.gz.tmp"));
        Files.writeString(obstacle.resolve("x"), "x");

        assertThatThrownBy(() -> new ArchiveCompressor(dir.resolve("access.log")).compress(plain))
            .isInstanceOf(IOException.class);

        assertThat(Files.readString(plain)).isEqualTo(LINES);
        assertThat(dir.resolve("access.log.2026-12-07.3.gz")).doesNotExist();
    }

    @Test
    void archivesLeftUncompressedAreCompressedLaterAndNothingElseIsTouched(@TempDir final Path dir) throws IOException {
        Files.writeString(dir.resolve("access.log"), "active\n");
        Files.writeString(dir.resolve("access.log.2026-12-06.4"), LINES);
        Files.writeString(dir.resolve("access.log.2026-12-07.0"), "a\n");
        Files.writeString(dir.resolve("access.log.2026-12-07.0.gz.tmp"), "a stop during compression left it");
        Files.writeString(dir.resolve("other.log.2026-12-07.0"), "not ours\n");
        Files.writeString(dir.resolve("access.log.USR1"), "renamed by logrotate\n");

        final var done = new ArchiveCompressor(dir.resolve("access.log")).compressLeftovers();

        assertThat(done).extracting(p -> p.getFileName().toString())
            .containsExactly("access.log.2026-12-06.4", "access.log.2026-12-07.0");
        assertThat(gunzip(dir.resolve("access.log.2026-12-06.4.gz"))).isEqualTo(LINES);
        assertThat(gunzip(dir.resolve("access.log.2026-12-07.0.gz"))).isEqualTo("a\n");
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString()).sorted()).containsExactly("access.log",
                "access.log.2026-12-06.4.gz", "access.log.2026-12-07.0.gz", "access.log.USR1", "other.log.2026-12-07.0");
        }
    }

    @Test
    void aRotationTakesTheFirstIndexThatNeitherAPlainNorACompressedArchiveHolds(@TempDir final Path dir)
        throws IOException {
        Files.writeString(dir.resolve("access.log.2026-12-07.2.gz"), "x");
        Files.writeString(dir.resolve("access.log.2026-12-07.3"), "kept uncompressed");

        assertThat(ArchiveCompressor.freeName(dir.resolve("access.log.2026-12-07.2")))
            .isEqualTo(dir.resolve("access.log.2026-12-07.4"));
        assertThat(ArchiveCompressor.freeName(dir.resolve("access.log.2026-12-07.5")))
            .isEqualTo(dir.resolve("access.log.2026-12-07.5"));
    }
}
