package dev.niolb.cli.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AccessLogRetentionTest {
    private static final LocalDate TODAY = LocalDate.of(2026, 12, 4);

    private static void create(final Path dir, final String... names) throws Exception {
        for (final String name : names) {
            Files.writeString(dir.resolve(name), "x");
        }
    }

    private static Stream<String> left(final Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList().stream();
        }
    }

    @Test
    void archivesOlderThanTheDaysKeptAreDeletedAndTodaysAndTheKeptDaysStay(@TempDir final Path dir) throws Exception {
        create(dir, "access.log", "access.log.2026-12-04.0.gz", "access.log.2026-12-04.1.gz",
            "access.log.2026-11-27.0.gz", "access.log.2026-11-26.0.gz", "access.log.2026-11-26.3.gz",
            "access.log.2025-01-01.0.gz", "access.log.2026-11-26.4", "access.log.2026-11-27.1");

        final var deleted = new AccessLogRetention(dir.resolve("access.log"), 7).clean(TODAY);

        assertThat(deleted).extracting(p -> p.getFileName().toString()).as("one left uncompressed too")
            .containsExactlyInAnyOrder("access.log.2026-11-26.0.gz", "access.log.2026-11-26.3.gz",
                "access.log.2025-01-01.0.gz", "access.log.2026-11-26.4");
        assertThat(left(dir)).containsExactly("access.log", "access.log.2026-11-27.0.gz", "access.log.2026-11-27.1",
            "access.log.2026-12-04.0.gz", "access.log.2026-12-04.1.gz");
    }

    @Test
    void filesThatAreNotThisLogsArchivesAreNeverTouched(@TempDir final Path dir) throws Exception {
        create(dir, "other.log.2020-01-01.0.gz", "access.log.2020-01-01.0.gz.tmp",
            "access.log.2020-01-0133678739753504.tmp", "access.log.2020-13-45.0.gz", "xaccess.log.2020-01-01.0.gz");

        assertThat(new AccessLogRetention(dir.resolve("access.log"), 1).clean(TODAY)).isEmpty();
        assertThat(left(dir)).hasSize(5);
    }

    @Test
    void keepingLessThanADayIsRefused() {
        assertThatThrownBy(() -> new AccessLogRetention(Path.of("/tmp/access.log"), 0))
            .isInstanceOf(IllegalArgumentException.class);
    }
}
