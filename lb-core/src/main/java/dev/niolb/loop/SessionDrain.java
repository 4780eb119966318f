package dev.niolb.loop;

import dev.niolb.session.LoopSession;
import dev.niolb.session.Termination;
import dev.niolb.backend.Server;

/**
 * Called from any thread; the closing runs on each loop.
 *
 * Closes a server's sessions, TCP sessions and UDP flows alike, on the relay loops, those idle the longest
 * first: the hand of a paced drain. A session is the server's when its {@link LoopSession#server()} is that
 * server, so a group that serves a TCP and a UDP listener has both kinds drained by the one rate.
 *
 * <p>Threading: any thread; the closing runs on each loop as a queued command, so a loop closes only its own
 * sessions, and the caller does not wait for it.
 */
public final class SessionDrain {
    private SessionDrain() {
    }

    /**
     * Asks every loop to close up to its share of {@code count} of {@code server}'s sessions ({@link
     * Termination#DRAINED}). The shares are rounded up, so a step may close a few more than {@code count}.
     */
    public static void closeIdlest(final EventLoop[] loops, final Server server, final int count) {
        final int share = (int) Math.max(1, Math.min(Integer.MAX_VALUE, ((long) count + loops.length - 1) / loops.length));
        for (final EventLoop loop : loops) {
            loop.execute(() -> loop.closeIdlest(s -> s.server() == server, share, Termination.DRAINED));
        }
    }
}
