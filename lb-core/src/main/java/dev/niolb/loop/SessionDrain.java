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
     * Asks the loops to close {@code count} of {@code server}'s sessions ({@link Termination#DRAINED}) in all,
     * each loop a share in proportion to the server's sessions on it: the drain's rate is the group's, whatever
     * the number of loops. Idlest first within each loop.
     */
    public static void closeIdlest(final EventLoop[] loops, final Server server, final int count) {
        closeIdlest(loops, server, count, Termination.DRAINED);
    }

    /** As {@link #closeIdlest(EventLoop[], Server, int)}, the sessions ending as {@code why}. */
    public static void closeIdlest(final EventLoop[] loops, final Server server, final int count,
                                   final Termination why) {
        final int[] shares = shares(loops, server, count);
        for (int i = 0; i < loops.length; i++) {
            final EventLoop loop = loops[i];
            final int share = shares[i];
            if (share > 0) {
                loop.execute(() -> loop.closeIdlest(s -> s.server() == server, share, why));
            }
        }
    }

    /** {@code count} split over the loops in proportion to the server's sessions on each (largest remainder). */
    static int[] shares(final EventLoop[] loops, final Server server, final int count) {
        final long[] active = new long[loops.length];
        long total = 0;
        for (int i = 0; i < loops.length; i++) {
            active[i] = Math.max(0, server.counters().active(loops[i].index()));
            total += active[i];
        }
        final int[] shares = new int[loops.length];
        final long want = Math.min(count, total);
        if (want == 0) {
            return shares;
        }
        long given = 0;
        for (int i = 0; i < loops.length; i++) {
            shares[i] = (int) (want * active[i] / total);
            given += shares[i];
        }
        while (given < want) { // the rest one by one, to the loops with the most sessions left
            int most = 0;
            for (int i = 1; i < loops.length; i++) {
                if (active[i] - shares[i] > active[most] - shares[most]) {
                    most = i;
                }
            }
            shares[most]++;
            given++;
        }
        return shares;
    }
}
