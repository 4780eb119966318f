package dev.niolb.cli.log;

import ch.qos.logback.core.rolling.RolloverFailure;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import dev.niolb.config.OperatorFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Logback's size-and-time rollover (when to rotate, and the {@code FILE.yyyy-MM-dd.N.gz} names) with the rotation
 * itself done here: the active file is renamed to {@code FILE.yyyy-MM-dd.N} (a name no archive holds), and then
 * compressed by {@link ArchiveCompressor} and old archives deleted by {@link AccessLogRetention} (in place of
 * Logback's {@code maxHistory}, which stays 0, off), all on one thread of this policy's own, so that no two of them
 * overlap. An archive that cannot be compressed (a full disk) stays as it is, said once in the log, and is
 * compressed at a later rotation.
 *
 * <p>Threading: {@link #rollover} under the appender's lock; the rest on the policy's thread.
 */
final class RetainingRollingPolicy<E> extends SizeAndTimeBasedRollingPolicy<E> {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.run");
    private final AccessLogRetention retention;
    private final ArchiveCompressor compressor;
    private final ExecutorService archiver = Executors.newSingleThreadExecutor(
        Thread.ofPlatform().daemon().name("niolb-access-log-archiver").factory());
    /** The archiver's thread only: a failure to compress was logged, and no compression has worked since. */
    private boolean failing;

    RetainingRollingPolicy(final Path activeFile, final int days) {
        this.retention = new AccessLogRetention(activeFile, days);
        this.compressor = new ArchiveCompressor(activeFile);
    }

    @Override
    public void start() {
        super.start();
        if (isStarted()) {
            archiveSoon();
        }
    }

    @Override
    public void rollover() throws RolloverFailure {
        final String raw = getParentsRawFileProperty();
        if (raw == null) {
            throw new RolloverFailure("the access log's appender names no file");
        }
        final Path active = Path.of(raw);
        if (isEmpty(active)) {
            return; // its lines were refused (a full disk, counted lost): an empty archive would hold nothing
        }
        final Path plain = ArchiveCompressor.freeName(
            Path.of(getTimeBasedFileNamingAndTriggeringPolicy().getElapsedPeriodsFileName()));
        try {
            Files.move(active, plain); // never over an archive: freeName found it free
        } catch (final IOException e) {
            // Logback keeps the lines going into the active file, and says so only in its own status messages
            LOG.warn("access log {}: not rotated (renaming it to {}: {}); its lines go on into it", active,
                plain.getFileName(), OperatorFile.reason(e));
            throw new RolloverFailure("cannot rename " + active + " to " + plain, e);
        }
        archiveSoon();
    }

    private static boolean isEmpty(final Path file) {
        try {
            return Files.size(file) == 0;
        } catch (final IOException e) {
            return false; // the rename says why
        }
    }

    @Override
    public void stop() {
        super.stop();
        archiver.shutdown();
        try {
            // a compression under way finishes (or fails, the plain file kept): at worst a .gz.tmp is left to redo
            archiver.awaitTermination(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Compresses what waits to be, then deletes the old archives, on the archiver's thread. */
    private void archiveSoon() {
        // the date as %d{yyyy-MM-dd} names it: the JVM's default time zone
        final LocalDate today = LocalDate.now();
        archiver.execute(() -> {
            compressWaiting();
            try {
                retention.clean(today);
            } catch (final IOException | RuntimeException e) {
                LOG.warn("access log: could not delete old archives: {}", OperatorFile.reason(e));
            }
        });
    }

    private void compressWaiting() {
        try {
            final List<Path> done = compressor.compressLeftovers();
            if (failing) {
                failing = false;
                LOG.warn("access log: rotated files compressed again ({} had waited)", done.size());
            }
        } catch (final IOException | RuntimeException e) {
            if (!failing) {
                failing = true;
                LOG.warn("access log: cannot compress a rotated file ({}): kept uncompressed, no line lost; "
                    + "compressed at a later rotation", OperatorFile.reason(e));
            }
        }
    }
}
