package dev.niolb.cli.log;

import ch.qos.logback.core.rolling.RolloverFailure;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Logback's size-and-time rollover with {@link AccessLogRetention} in place of Logback's own history removal (its
 * {@code maxHistory} stays 0, off): after each rollover, and once at start, the old archives are deleted on one
 * thread of this policy's own, so two clean-ups never overlap.
 */
final class RetainingRollingPolicy<E> extends SizeAndTimeBasedRollingPolicy<E> {
    private final AccessLogRetention retention;
    private final ExecutorService cleaner = Executors.newSingleThreadExecutor(
        Thread.ofPlatform().daemon().name("niolb-access-log-retention").factory());

    RetainingRollingPolicy(final Path activeFile, final int days) {
        this.retention = new AccessLogRetention(activeFile, days);
    }

    @Override
    public void start() {
        super.start();
        if (isStarted()) {
            cleanSoon();
        }
    }

    @Override
    public void rollover() throws RolloverFailure {
        super.rollover();
        cleanSoon();
    }

    @Override
    public void stop() {
        super.stop();
        cleaner.shutdown();
    }

    private void cleanSoon() {
        // the date as %d{yyyy-MM-dd} names it: the JVM's default time zone
        final LocalDate today = LocalDate.now();
        cleaner.execute(() -> {
            try {
                retention.clean(today);
            } catch (final IOException | RuntimeException e) {
                addWarn("could not delete old access log files: " + e.getMessage());
            }
        });
    }
}
