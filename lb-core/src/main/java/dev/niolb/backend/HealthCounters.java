package dev.niolb.backend;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A server's health history as counts: active checks (and passive re-probes) passed and failed, and changes of
 * its state by the state it entered, so that a server that flaps shows in a rate even when every scrape finds
 * it UP.
 *
 * <p>Threading: checks are counted by the health loop, state changes under the group's {@link Failover}
 * monitor (health loop, admin, reload); any thread reads. Rare events: plain atomics.
 */
public final class HealthCounters {
    private static final int PASSED = 0;
    private static final int FAILED = 1;
    private static final int STATES = 2;

    private final AtomicLongArray counts = new AtomicLongArray(STATES + ServerState.values().length);

    /** One check (or re-probe) ended. Health loop. */
    public void check(final boolean passed) {
        counts.incrementAndGet(passed ? PASSED : FAILED);
    }

    /** The server entered {@code state}. */
    void entered(final ServerState state) {
        counts.incrementAndGet(STATES + state.ordinal());
    }

    public long checksPassed() {
        return counts.get(PASSED);
    }

    public long checksFailed() {
        return counts.get(FAILED);
    }

    /** Times the server entered {@code state} from another. */
    public long changesTo(final ServerState state) {
        return counts.get(STATES + state.ordinal());
    }
}
