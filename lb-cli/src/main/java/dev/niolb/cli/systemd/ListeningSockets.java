package dev.niolb.cli.systemd;

import dev.niolb.LoadBalancer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Map;

/**
 * niolb's listening sockets across restarts under systemd. At start, {@link #handedOver} reads the descriptors
 * systemd passes ({@code LISTEN_FDS}, from its file-descriptor store or a socket unit) for the epoll transport to
 * adopt; once running, {@link #store} puts the running listeners' descriptors in the store ({@code FDSTORE=1}), so
 * that while niolb restarts or is upgraded the sockets stay open and clients wait in their backlog instead of
 * being refused. Whatever was stored before is removed first, so a listener that a reload or a new config dropped
 * does not stay open in systemd, queueing clients nobody accepts.
 *
 * <p>Threading: {@link #store} from the start-up, the reload thread and the heartbeat thread: synchronized.
 */
public final class ListeningSockets {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.run");
    /** systemd's name for niolb's sockets in its store (LISTEN_FDNAMES); names are not needed to match them. */
    static final String FDNAME = "niolb-listeners";
    /** SD_LISTEN_FDS_START: the first descriptor systemd passes. */
    private static final int FIRST = 3;

    private final SystemdNotify notify;
    private int[] stored = new int[0];
    private boolean everStored;

    public ListeningSockets(final SystemdNotify notify) {
        this.notify = notify;
    }

    /**
     * The descriptors systemd passed to this process: {@code LISTEN_FDS} of them from 3 on, when {@code LISTEN_PID}
     * is {@code pid}; none otherwise (they were meant for another process, or there are none).
     */
    public static int[] handedOver(final Map<String, String> environment, final long pid) {
        final String forPid = environment.get("LISTEN_PID");
        final String count = environment.get("LISTEN_FDS");
        if (forPid == null || count == null) {
            return new int[0];
        }
        try {
            if (Long.parseLong(forPid.strip()) != pid) {
                return new int[0];
            }
            final int n = Integer.parseInt(count.strip());
            if (n < 0 || n > 65_536) {
                throw new NumberFormatException("out of range");
            }
            final int[] fds = new int[n];
            for (int i = 0; i < n; i++) {
                fds[i] = FIRST + i;
            }
            return fds;
        } catch (final NumberFormatException e) {
            LOG.warn("ignoring LISTEN_FDS={} LISTEN_PID={}: not numbers", count, forPid);
            return new int[0];
        }
    }

    /**
     * How many of the {@code count} descriptors handed over come from a socket unit (socket activation) rather than
     * from niolb's own store: systemd names each in {@code LISTEN_FDNAMES}, the store's with {@link #FDNAME} and a
     * socket unit's with the unit's name (or its {@code FileDescriptorName=}); without names, none is the store's.
     */
    public static int fromSocketUnits(final Map<String, String> environment, final int count) {
        final String names = environment.get("LISTEN_FDNAMES");
        if (names == null) {
            return count;
        }
        final String[] each = names.split(":", -1);
        int units = 0;
        for (int i = 0; i < count; i++) {
            if (i >= each.length || !FDNAME.equals(each[i])) {
                units++;
            }
        }
        return units;
    }

    /**
     * Has systemd close every socket it stores for niolb, before this process binds: those it was handed and
     * keeps stay open in it, and {@link #store} puts them back once it runs.
     */
    public synchronized void forget() {
        if (notify.enabled()) {
            notify.removeFds(FDNAME);
        }
    }

    /** Whether systemd holds listening sockets of this process: a restart's successor will read them. */
    public synchronized boolean holdsAny() {
        return everStored && stored != null && stored.length > 0;
    }

    /** Stores the running listeners' descriptors in systemd's store when they changed since the last call. */
    public synchronized void store(final LoadBalancer lb) {
        if (!notify.enabled()) {
            return;
        }
        if (lb.transport().equals("nio")) {
            if (!everStored) { // said once: the docs promised it, and a unit running nio never said it (session 32)
                notify.removeFds(FDNAME); // what an earlier (epoll) niolb stored: this one cannot take it
                LOG.warn("the nio transport cannot hand its listening sockets to systemd's store (FDSTORE): a restart"
                    + " refuses clients for the second or two the JVM takes to start; the epoll transport keeps them");
                everStored = true;
                stored = new int[0];
            }
            return;
        }
        final int[] now = lb.listeningDescriptors();
        Arrays.sort(now);
        if (everStored && Arrays.equals(now, stored)) {
            return;
        }
        notify.removeFds(FDNAME); // also what an earlier niolb stored and this config no longer listens on
        if (!notify.storeFds(FDNAME, now)) {
            // not stored (the notify socket refused it): no claim that they are, and a stop serves UDP through its
            // grace as without a store (black-box testing, session 30: both were as if stored)
            everStored = true;
            stored = new int[0];
            return;
        }
        if (!everStored && now.length > 0) {
            LOG.info("systemd keeps {} listening {} open across restarts (FDSTORE)", now.length,
                now.length == 1 ? "socket" : "sockets");
        }
        everStored = true;
        stored = now;
    }
}
