package dev.niolb.health;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Threadsafe.
 *
 * The log of checks niolb could not make for want of its own resources (descriptors), and of their coming back: at
 * most one line a second of each, over every server, with how many more there were. Thousands of servers short of
 * descriptors at once logged a line each, 22,849 in 12 s (black-box testing, session 33).
 */
final class NotMadeLog {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.health");
    private static final Pace NOT_MADE = new Pace();
    private static final Pace MADE_AGAIN = new Pace();

    private NotMadeLog() {
    }

    static void notMade(final long nowMs, final String server, final String detail) {
        final String more = NOT_MADE.due(nowMs);
        if (more != null) {
            LOG.warn("server {}: check not made: {}; niolb is short of its own resources, so its state stands{}",
                server, detail, more);
        }
    }

    static void madeAgain(final long nowMs, final String server) {
        final String more = MADE_AGAIN.due(nowMs);
        if (more != null) {
            LOG.info("server {}: checks made again{}", server, more);
        }
    }

    /** One line a second at most, saying how many were left out since the last. */
    private static final class Pace {
        private long nextMs;
        private int unsaid;

        /** Null when this one is left out, else what the line adds about those left out before it. */
        synchronized String due(final long nowMs) {
            if (nowMs < nextMs) {
                unsaid++;
                return null;
            }
            nextMs = nowMs + 1000;
            final String more = unsaid == 0 ? "" : " (and " + unsaid + " more servers' since the last such line)";
            unsaid = 0;
            return more;
        }
    }
}
