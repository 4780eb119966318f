package dev.niolb.udp;

import dev.niolb.admission.Admission;
import dev.niolb.metrics.SessionCounters;

/**
 * Written by each event loop in its own stripe; read by any thread.
 *
 * Counters of one UDP listener: flows, datagrams each way, every reason a datagram was dropped, and one counter
 * for each way a flow ends. A datagram niolb does not forward is never lost silently: it lands in a counter.
 *
 * <p>Threading: {@link SessionCounters}.
 */
public final class UdpListenerCounters extends SessionCounters {
    /** Flows ever created. */
    public static final int FLOWS = 0;
    /** Flows open now. */
    public static final int ACTIVE = 1;
    /** Datagrams from clients sent on to a server. */
    public static final int DATAGRAMS_IN = 2;
    /** Datagrams from servers sent back to a client. */
    public static final int DATAGRAMS_OUT = 3;
    /** Datagrams from new clients dropped because the listener had its maximum of flows. */
    public static final int DROPPED_FLOW_LIMIT = 4;
    /** Datagrams from new clients dropped because no server could take a flow. */
    public static final int DROPPED_NO_SERVER = 5;
    /**
     * Datagrams dropped because they cannot be a UDP datagram to their server: with a PROXY v2 header, or from an
     * IPv6 client to an IPv4 server (or, which cannot happen at 64 KiB, because they filled the receive buffer).
     */
    public static final int DROPPED_TOO_LARGE = 6;
    /** Datagrams dropped because a socket's send buffer was full or a send failed, either way. */
    public static final int DROPPED_SEND = 7;
    /** Datagrams from new clients dropped because the listener is stopping (existing flows go on). */
    public static final int DROPPED_STOPPING = 8;
    /** ICMP port unreachable from a server: the datagram was not taken, the server is blamed. */
    public static final int SERVER_UNREACHABLE = 9;
    /** Receives on the listening socket that failed with an I/O error. */
    public static final int RECEIVE_ERRORS = 10;
    /**
     * Flows moved to another server: theirs went DOWN (on the client's next datagram), or answered ICMP port
     * unreachable before any reply (what it was sent goes to the next one).
     */
    public static final int MOVED = 11;
    /** Datagrams from trusted peers of an accept-proxy listener whose PROXY header was read and stripped. */
    public static final int PROXY_HEADERS = 12;
    /** Datagrams from trusted peers of an accept-proxy listener dropped for a missing or malformed PROXY header. */
    public static final int DROPPED_PROXY_HEADER = 13;
    /** Datagrams from peers of an accept-proxy listener outside its trusted sources, taken as from direct clients. */
    public static final int PROXY_DIRECT = 14;
    /** Datagrams from sources the listener's access list refuses (no flow is opened for them). */
    public static final int DROPPED_ACL = 15;
    /** Bytes of datagrams from clients sent on to servers. */
    public static final int BYTES_IN = 16;
    /** Bytes of datagrams from servers sent back to clients. */
    public static final int BYTES_OUT = 17;
    /** Datagrams that would open a flow, dropped because their source had its {@code source-maxconn} flows open. */
    public static final int DROPPED_SOURCE_LIMIT = 18;
    /** Datagrams that would open a flow, dropped because their source opened flows faster than {@code source-rate}. */
    public static final int DROPPED_SOURCE_RATE = 19;
    /**
     * Empty datagrams from clients, which the nio transport cannot send on: the JDK's connected DatagramChannel
     * writes nothing for an empty buffer (sun.nio.ch.IOUtil returns 0 before the syscall), and a flow's socket
     * must stay connected for the server's replies to find it. Counted rather than lost silently (issue 17). The
     * epoll transport sends them ({@code Transport#sendsEmptyDatagrams}).
     */
    public static final int DROPPED_EMPTY = 20;
    /** Datagrams from new clients dropped because every server that could take a flow was at its maxconn. */
    public static final int DROPPED_FULL = 21;
    /**
     * Datagrams from new clients dropped because niolb could not open a socket for the flow (out of descriptors,
     * most often): niolb's limit, not the servers', so no server is blamed and it is not {@code no_server}.
     */
    public static final int DROPPED_NO_SOCKET = 22;
    /**
     * Server replies the kernel dropped on a flow's socket, its receive queue full: counted as the flow leaves its
     * server (ends, or moves to another), on a transport that can ask ({@code Transport#countsReceiveDrops}).
     */
    public static final int DROPPED_KERNEL_REPLIES = 23;
    /**
     * Datagrams dropped because every server their flow tried answered ICMP port unreachable (no server took
     * them; {@link #DROPPED_NO_SERVER} is for those no server could be tried for), as a TCP session ends
     * {@code connect_failure} when every connect failed.
     */
    public static final int DROPPED_CONNECT_FAILURE = 24;
    /**
     * Datagrams a flow sent to a server that then answered ICMP port unreachable, before any reply, beyond those
     * it keeps to send again to the next server ({@link KeptDatagrams}): lost with that server as the flow moved on.
     */
    public static final int DROPPED_NOT_RESENT = 25;
    /**
     * Datagrams that would open a flow from the address of a server of any group, or of any UDP listener of the
     * engine: the flow would send the replies back there, round in a loop for ever ({@link EngineAddresses}).
     */
    public static final int DROPPED_FROM_SERVER = 26;
    private static final int FIELDS = 27;

    public UdpListenerCounters(final int stripes) {
        super(FIELDS, ACTIVE, stripes);
    }

    /** The field that counts datagrams dropped for {@code verdict} (not {@link Admission.Verdict#OK}). */
    public static int droppedField(final Admission.Verdict verdict) {
        return switch (verdict) {
            case ACL -> DROPPED_ACL;
            case SOURCE_LIMIT -> DROPPED_SOURCE_LIMIT;
            case SOURCE_RATE -> DROPPED_SOURCE_RATE;
            case OK -> throw new IllegalArgumentException("an admitted datagram is not dropped");
        };
    }

    public long flows() {
        return get(FLOWS);
    }

    public long datagramsIn() {
        return get(DATAGRAMS_IN);
    }

    public long datagramsOut() {
        return get(DATAGRAMS_OUT);
    }

    public long bytesIn() {
        return get(BYTES_IN);
    }

    public long bytesOut() {
        return get(BYTES_OUT);
    }
}
