package dev.niolb.cli;

import dev.niolb.cli.log.LogOutputs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.io.IOException;

/**
 * Opens the access log file again after an outside rotation: logrotate renames (or deletes) the file and then
 * signals the process, as for nginx (SIGUSR1) or a reload (SIGHUP); both work here. Without it, lines go on into
 * the renamed file, or into a deleted one, lost.
 *
 * <p>Threading: any thread (a signal-dispatch thread, the reload thread).
 */
final class ReopenLogs {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.run");

    private ReopenLogs() {
    }

    /** Reopens now, logging what was done ({@code why}: the signal). */
    static void now(final String why) {
        try {
            final String path = LogOutputs.reopenAccessLog();
            if (path != null) {
                LOG.info("access log reopened ({}): {}", why, path);
            }
        } catch (final IOException | RuntimeException e) {
            LOG.warn("access log not reopened ({}): {}; lines go on where they went", why, e.getMessage());
        }
    }

    /** From now on SIGUSR1 reopens the access log (nginx's signal for it) instead of being ignored. */
    static void installOnUsr1() {
        try {
            Signal.handle(new Signal("USR1"), signal -> now("SIGUSR1"));
        } catch (final IllegalArgumentException e) {
            LOG.debug("SIGUSR1 is the JVM's: {}", e.getMessage());
        }
    }
}
