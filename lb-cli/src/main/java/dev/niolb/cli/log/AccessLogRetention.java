package dev.niolb.cli.log;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Deletes the rotated access log files ({@code FILE.yyyy-MM-dd.N.gz}, or {@code FILE.yyyy-MM-dd.N} where it
 * could not be compressed) dated more than some days before today, and
 * nothing else: not the active file, not a file being compressed, not a file of another name in the directory.
 *
 * <p>Why not Logback's own {@code maxHistory}: its remover runs on a pool thread after every rollover with no wait
 * for the previous run, and two runs share one calendar, so rollovers in quick succession (a small size limit, a
 * burst of traffic) made it compute today as a stale period and delete that day's archives: 27 of 30 access lines
 * gone, seen under load. Runs of this class are serialized by the caller and share nothing mutable.
 */
final class AccessLogRetention {
    private final Path directory;
    private final Pattern archive;
    private final int days;

    /**
     * @param activeFile the access log's active file; its archives sit beside it
     * @param days how many days before today stay; a file of today is never deleted
     */
    AccessLogRetention(final Path activeFile, final int days) {
        if (days < 1) {
            throw new IllegalArgumentException("days must be at least 1, got " + days);
        }
        this.directory = activeFile.toAbsolutePath().getParent();
        this.archive = Pattern.compile(Pattern.quote(activeFile.getFileName().toString())
            + "\\.(\\d{4}-\\d{2}-\\d{2})\\.\\d+(\\.gz)?"); // plain: one that could not be compressed
        this.days = days;
    }

    /** Deletes the archives dated before {@code today} minus the days kept; returns those it deleted. */
    List<Path> clean(final LocalDate today) throws IOException {
        final LocalDate oldestKept = today.minusDays(days);
        final List<Path> deleted = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (final Path file : files) {
                final Matcher m = archive.matcher(file.getFileName().toString());
                if (m.matches() && dated(m.group(1)).isBefore(oldestKept) && Files.deleteIfExists(file)) {
                    deleted.add(file);
                }
            }
        }
        return deleted;
    }

    private static LocalDate dated(final String date) {
        try {
            return LocalDate.parse(date);
        } catch (final DateTimeException e) {
            return LocalDate.MAX; // 2024-13-45 is nobody's archive: kept
        }
    }
}
