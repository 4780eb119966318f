package dev.niolb.health;

import dev.niolb.log.LinePace;
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
    private static final LinePace NOT_MADE = new LinePace(1000,
        n -> LOG.warn("{} more checks not made since the last one logged, not logged one by one", n));
    private static final LinePace MADE_AGAIN = new LinePace(1000,
        n -> LOG.info("{} more servers' checks made again since the last one logged, not logged one by one", n));

    private NotMadeLog() {
    }

    static void notMade(final long nowMs, final String server, final String detail) {
        if (NOT_MADE.due(nowMs)) {
            LOG.warn("server {}: check not made: {}; niolb is short of its own resources, so its state stands{}",
                server, detail, NOT_MADE.leftOutSaid("checks"));
        }
    }

    /** Says now those left out: at a stop. */
    static void flush() {
        NOT_MADE.flush();
        MADE_AGAIN.flush();
    }

    static void madeAgain(final long nowMs, final String server) {
        if (MADE_AGAIN.due(nowMs)) {
            LOG.info("server {}: checks made again{}", server, MADE_AGAIN.leftOutSaid("checks"));
        }
    }
}
