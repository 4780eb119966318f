package dev.niolb.listener;

import dev.niolb.accesslog.AccessLog;
import dev.niolb.backend.TargetGroup;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.metrics.SessionCounters;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Owned by the engine's control thread (start, reload, stop), which drives its life; each loop owns its socket;
 * getters and counters are read from any thread.
 *
 * <p>One listener of the config, TCP or UDP, as the engine and its readers see it: a socket per event loop bound
 * to one address, the group its sessions (flows) go to, its counters, and its life: registered with the loops
 * ({@link #register}, {@link #registerOnLoops}), reconfigured by a reload ({@link #reconfigure}), stopped
 * ({@link #stopAccepting}), retired when a reload removes it ({@link #retire}), closed after a failed start
 * ({@link #closeUnstarted}).
 */
public interface Listener {

    /** The listener's name in the config (a reload may rename it). */
    String name();

    /** Its config now (a reload replaces it). */
    ListenerConfig config();

    /** TCP or UDP. */
    default Protocol protocol() {
        return config().protocol();
    }

    /** The bound address; an ephemeral port is resolved. */
    InetSocketAddress localAddress();

    /**
     * The descriptors of its sockets (one per loop) where the transport has them (epoll), for systemd's
     * file-descriptor store and a takeover: empty on NIO. Valid until the listener stops.
     */
    int[] descriptors();

    /** The group new sessions (flows) go to. */
    TargetGroup group();

    /** Its counters: sessions (flows) open now, how they ended, how long they lasted. Any thread. */
    SessionCounters counters();

    /** Whether it holds sockets of its own after it was retired (a UDP listener's, while its flows live). */
    default boolean holdsSockets() {
        return false;
    }

    /** Sets where ended sessions (flows) are logged, before it is registered. */
    void accessLog(AccessLog log);

    /** Registers its sockets with the loops' pollers, before the loops start. */
    void register() throws IOException;

    /**
     * Registers its sockets on each running loop, for a listener a reload adds. Waits up to {@code timeoutMs}.
     *
     * @throws IOException when a loop could not register its socket
     */
    void registerOnLoops(long timeoutMs) throws IOException;

    /**
     * New settings for new sessions (a reload): options, timeouts, group, admission. The sockets stay, so the
     * protocol and bind address cannot change here.
     */
    void reconfigure(ListenerConfig next, TargetGroup group);

    /**
     * The engine stops: no new sessions (flows); those open go on through the grace period. Waits up to
     * {@code timeoutMs} for the loops to have done it.
     */
    void stopAccepting(long timeoutMs);

    /**
     * As {@link #stopAccepting}, when a successor (a takeover) serves on the same sockets from now on: whatever
     * would only be dropped here is left to it. A TCP listener closes its sockets either way; a UDP listener stops
     * reading too, so that every datagram, a new client's or not, goes to the successor, while its flows' replies
     * still leave from the socket.
     */
    default void handOver(final long timeoutMs) {
        stopAccepting(timeoutMs);
    }

    /**
     * A reload removes the listener (or a failed reload drops one it added): no new sessions, those open finish,
     * and its sockets close. Waits up to {@code timeoutMs} for what the loops do at once (TCP closes its listening
     * sockets now; UDP closes each loop's socket when its last flow has ended, and does not wait).
     */
    void retire(long timeoutMs);

    /** Closes the sockets of a listener whose loops never ran (a failed start). */
    void closeUnstarted();

    /**
     * Says now what its paced warnings left out and no line has said yet: at a stop, where the tail that would
     * have said it a second later never comes (a flood's count was lost to a SIGTERM: black-box testing, session 34).
     */
    default void flushPacedLines() {
    }
}
