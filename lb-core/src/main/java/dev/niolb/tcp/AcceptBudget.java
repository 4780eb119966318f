package dev.niolb.tcp;

/**
 * How many connections a listener's wake-up may accept. Accepting until the backlog says "none" costs an
 * {@code accept} that fails at every wake-up: when connections come one or two at a time, one system call in
 * twenty to forty per proxied connection. So after a wake-up that found {@link #FEW} or fewer, the next few take
 * one each and do not ask for another. Listeners are level-triggered on both transports, so a connection left
 * waiting wakes the loop again at once, at the cost of a wait that returns at once; but a loop that takes a
 * connection or two per wake-up wakes that often anyway. Every few wake-ups one drains the backlog again, and so
 * sees a burst begin.
 *
 * <p>Threading: the acceptor's event loop.
 */
final class AcceptBudget {
    /** Wake-ups that take one connection, between two that drain the backlog. */
    static final int SINGLE_TAKES = 4;
    /**
     * At most this many found by a wake-up that drains: taken one per wake-up they cost at most one wake-up more,
     * which a loop that also relays usually makes anyway, against the accept that fails at every drain.
     */
    static final int FEW = 2;

    private final int drain;
    private int singleTakesLeft;

    /** {@code drain}: the most a wake-up that drains accepts, so that relaying sessions are not starved. */
    AcceptBudget(final int drain) {
        this.drain = drain;
    }

    /** A wake-up begins: the most it may accept. */
    int next() {
        if (singleTakesLeft > 0) {
            singleTakesLeft--;
            return 1;
        }
        return drain;
    }

    /** The backlog was found empty after {@code taken} connections in a wake-up allowed {@code budget}. */
    void foundEmpty(final int budget, final int taken) {
        if (budget > 1 && taken <= FEW) {
            singleTakesLeft = SINGLE_TAKES;
        }
    }
}
