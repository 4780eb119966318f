package dev.niolb;

import java.util.function.Supplier;

/**
 * Any thread.
 *
 * <p>The way an operator's changes to a running niolb go (through the admin API: a server's state or weight, a
 * server added or removed, a reload), which a takeover closes. Between handing its listening sockets to a
 * successor and hearing that it started, a change made here, and the state file written for it, would come after
 * the successor read that file: it would reach neither the successor nor the next restart, though the caller was
 * told it was done (black-box testing, session 26). Closing waits for a change in progress, so that its state file
 * is written before the successor may read it; a successor that does not start opens it again.
 */
public final class OperatorChanges {
    /**
     * A change refused because a successor is taking this niolb's sockets over. It names the successor, how long
     * it has been at it and what ends the wait: a successor stopped mid-start (SIGSTOP, a debugger) held every
     * change for the whole start limit, and the refusal said neither who nor for how long (black-box testing,
     * session 34).
     */
    public static final class HandingOver extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        HandingOver(final String successor, final long forSeconds, final long limitSeconds) {
            super("a new niolb (" + successor + ") is taking this one's sockets over: a change made here now would "
                + "not reach it; make it on the new one once it serves (" + forSeconds + " s into its start, which may"
                + " take " + limitSeconds + " s; if it is stuck, end it (kill -9 if it is stopped) and this one takes "
                + "changes again)");
        }
    }

    private boolean closed; // guarded by this
    private String successor; // guarded by this
    private long closedAtNanos; // guarded by this
    private long limitSeconds; // guarded by this

    /** Makes the change, or refuses it while a successor takes over. */
    public synchronized <T> T make(final Supplier<T> change) {
        if (closed) {
            throw new HandingOver(successor, (System.nanoTime() - closedAtNanos) / 1_000_000_000L, limitSeconds);
        }
        return change.get();
    }

    /**
     * Refuses every change from now on, once the one in progress (if any) is made.
     *
     * @param successor    who takes over, as the refusal names it ({@code pid 4242})
     * @param limitSeconds how long its start may take before this niolb takes changes again
     */
    public synchronized void close(final String successor, final long limitSeconds) {
        closed = true;
        this.successor = successor;
        this.closedAtNanos = System.nanoTime();
        this.limitSeconds = limitSeconds;
    }

    /** Takes changes again: the successor did not start, and this niolb serves on. */
    public synchronized void open() {
        closed = false;
    }
}
