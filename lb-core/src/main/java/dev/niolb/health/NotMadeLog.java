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
    private static final long EVERY_MS = 1000;

    private static long nextNotMadeMs;
    private static int notMadeUnsaid;
    private static long nextMadeMs;
    private static int madeUnsaid;

    private NotMadeLog() {
    }

    static synchronized void notMade(final long nowMs, final String server, final String detail) {
        if (nowMs < nextNotMadeMs) {
            notMadeUnsaid++;
            return;
        }
        nextNotMadeMs = nowMs + EVERY_MS;
        LOG.warn("server {}: check not made: {}; niolb is short of its own resources, so its state stands{}", server,
            detail, notMadeUnsaid == 0 ? "" : " (and " + notMadeUnsaid + " more servers' since the last such line)");
        notMadeUnsaid = 0;
    }

    static synchronized void madeAgain(final long nowMs, final String server) {
        if (nowMs < nextMadeMs) {
            madeUnsaid++;
            return;
        }
        nextMadeMs = nowMs + EVERY_MS;
        LOG.info("server {}: checks made again{}", server,
            madeUnsaid == 0 ? "" : " (and " + madeUnsaid + " more servers' since the last such line)");
        madeUnsaid = 0;
    }
}
