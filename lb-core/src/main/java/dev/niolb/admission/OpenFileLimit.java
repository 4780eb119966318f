package dev.niolb.admission;

import dev.niolb.config.ListenerLimits;

import java.lang.management.ManagementFactory;

/**
 * The process's open-file limit ({@code ulimit -n}, systemd's {@code LimitNOFILE}) and the connections it leaves
 * room for: what the process's {@code maxconn} is when the operator sets none, and the default of
 * {@code udp-max-flows}. HAProxy derives its {@code maxconn} from the limit the same way. Without such a cap a
 * process out of descriptors accepts clients it can open no server socket for, and its health checks, admin
 * API and log files find none either.
 */
public final class OpenFileLimit {
    /**
     * Descriptors kept back beyond those open once the listeners are bound (their sockets, the pollers, the JVM's
     * files): health checks, the admin API's 64, access and log files, DNS, idle pipes.
     */
    public static final long RESERVE = 256;
    /** The fewest connections a derived cap allows, however low the limit: a cap of 0 would refuse everyone. */
    static final int FLOOR = 16;

    private OpenFileLimit() {
    }

    /** The limit now, or 0 where the JVM cannot tell (not a Unix). */
    public static long limit() {
        return ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : 0;
    }

    /** Descriptors open now, or 0 where the JVM cannot tell. */
    public static long open() {
        return ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getOpenFileDescriptorCount() : 0;
    }

    /**
     * How many connections of {@code perConnection} descriptors each fit in {@code limit} with {@code open}
     * already taken and {@link #RESERVE} kept back: at least {@link #FLOOR}, at most
     * {@link ListenerLimits#MAX_CONN}. A TCP session holds two (its client's and its server's sockets), a UDP
     * flow one.
     */
    public static int connections(final long limit, final long open, final int perConnection) {
        return (int) Math.clamp((limit - open - RESERVE) / perConnection, FLOOR, ListenerLimits.MAX_CONN);
    }
}
