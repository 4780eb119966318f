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
    /** A change refused because a successor is taking this niolb's sockets over. */
    public static final class HandingOver extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        HandingOver() {
            super("a new niolb is taking this one's sockets over: a change made here now would not reach it; make it "
                + "on the new one once it serves");
        }
    }

    private boolean closed; // guarded by this

    /** Makes the change, or refuses it while a successor takes over. */
    public synchronized <T> T make(final Supplier<T> change) {
        if (closed) {
            throw new HandingOver();
        }
        return change.get();
    }

    /** Refuses every change from now on, once the one in progress (if any) is made. */
    public synchronized void close() {
        closed = true;
    }

    /** Takes changes again: the successor did not start, and this niolb serves on. */
    public synchronized void open() {
        closed = false;
    }
}
