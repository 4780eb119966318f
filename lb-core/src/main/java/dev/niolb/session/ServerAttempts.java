package dev.niolb.session;

import dev.niolb.backend.Server;
import dev.niolb.balance.Balancer;
import dev.niolb.balance.GroupBalancer;

/**
 * Runs on its session's event loop.
 *
 * One session's way through its group's servers, TCP session or UDP flow alike: the next server to try, the
 * servers already tried (so that a retry goes elsewhere), how many tries are left, and the place the session
 * holds under a server's maxconn.
 *
 * <p>Threading: owned by the session's event loop. Picks go through the loop's {@link GroupBalancer}: no lock,
 * no allocation.
 *
 * <p>A server another loop filled between the pick and {@link Server#reserve()} is passed over without counting
 * as a try (a FULL race); after {@value #MAX_FULL_RACES} of them in a row the session gives up as FULL.
 */
public final class ServerAttempts {
    /** Servers passed over because another loop filled them between pick and reservation, before giving up. */
    public static final int MAX_FULL_RACES = 64;

    private final int retries;
    private int attempts;
    private long tried;
    private Server reservedOn; // the server whose maxconn counts this session, or null
    private Termination giveUp;

    /** @param retries tries after the first (the listener's {@code retries}) */
    public ServerAttempts(final int retries) {
        this.retries = retries;
    }

    /**
     * Picks the next server from {@code balancer} for a client with {@code clientHash}, never one tried before,
     * and takes a place under its maxconn. Counts a try.
     *
     * @return the server, or null when none is left: {@link #giveUp()} says why
     */
    public Server next(final GroupBalancer balancer, final int clientHash) {
        int fullRaces = 0;
        while (true) {
            if (attempts > retries) {
                giveUp = Termination.CONNECT_FAILURE; // every try allowed was made, and failed
                return null;
            }
            final Server next = balancer.pick(clientHash, tried);
            if (next == null) {
                giveUp = fullRaces > 0 ? Termination.FULL : noServerReason(balancer);
                return null;
            }
            tried |= Balancer.bit(next);
            final int reservation = next.reserve();
            if (reservation == Server.FULL) {
                // another loop took its last place since the pick: not a failed try, pass it over
                if (++fullRaces > MAX_FULL_RACES) {
                    giveUp = Termination.FULL;
                    return null;
                }
                continue;
            }
            reservedOn = reservation == Server.RESERVED ? next : null;
            attempts++;
            return next;
        }
    }

    /**
     * The server {@link #next} gave was never asked (no socket could be opened for it: our problem, not the
     * server's): the try is given back, the server may be picked again, and its place is released.
     */
    public void notAsked(final Server server) {
        release();
        attempts--;
        tried &= ~Balancer.bit(server); // in a group of over 64, also frees a tried server of the same bit: rare
    }

    /** Gives back the place held under a server's maxconn, if one is held. Idempotent. */
    public void release() {
        if (reservedOn != null) {
            final Server s = reservedOn;
            reservedOn = null;
            s.unreserve();
        }
    }

    /**
     * Starts afresh with every try available again, {@code avoid} excluded: a UDP flow whose server went DOWN
     * moves on as a new flow would.
     */
    public void restartAvoiding(final Server avoid) {
        release();
        attempts = 0;
        tried = Balancer.bit(avoid);
    }

    /** Tries made (servers asked); a session's retries are this minus one. */
    public int attempts() {
        return attempts;
    }

    /** Whether a failed try may be followed by another. */
    public boolean retriesLeft() {
        return attempts <= retries;
    }

    /**
     * Why the last {@link #next} found none: {@link Termination#NO_SERVER}, {@link Termination#FULL} or, after
     * tries that failed, {@link Termination#CONNECT_FAILURE}.
     */
    public Termination giveUp() {
        return giveUp;
    }

    /**
     * Why no server was found: {@link Termination#FULL} when a server that could have taken the session (UP, not
     * tried yet) was at its maxconn, else {@link Termination#CONNECT_FAILURE} when some were tried (and failed),
     * else {@link Termination#NO_SERVER}. Only on this path, so it may scan.
     */
    private Termination noServerReason(final GroupBalancer balancer) {
        for (final Server s : balancer.group().snapshot().servers()) {
            if (s.full() && s.effectiveWeight() > 0 && !Balancer.isExcluded(s, tried)) {
                return Termination.FULL;
            }
        }
        return tried != 0 ? Termination.CONNECT_FAILURE : Termination.NO_SERVER;
    }
}
