package dev.niolb.session;

/** How a session ended: every way has a counter, and (later) a field in the access log. */
public enum Termination {
    /** Both sides closed cleanly: the client finished first. */
    CLIENT_CLOSE,
    /** Both sides closed cleanly: the server finished first. */
    SERVER_CLOSE,
    /** The client reset the connection or failed with an I/O error. */
    CLIENT_RESET,
    /** The server reset the connection or failed with an I/O error. */
    SERVER_RESET,
    /** No bytes either way for the idle timeout. */
    IDLE_TIMEOUT,
    /** No server could take the session: none UP (or every one excluded), before any was tried. */
    NO_SERVER,
    /** No relay buffer could be had: direct memory is exhausted (see {@code -XX:MaxDirectMemorySize}). */
    NO_BUFFER,
    /** The session reached the listener's maximum connection age and was ended cleanly. */
    MAX_AGE,
    /** Its server was draining and the drain timeout had passed: closed at the drain rate, idlest first. */
    DRAINED,
    /** niolb stopped before the session ended by itself. */
    SHUTDOWN,
    /** A bug in niolb: an unexpected exception in the session's handler. */
    INTERNAL_ERROR,
    /** A UDP flow had every reply it expected (the listener's {@code responses} per client datagram). */
    RESPONSES,
    /** The client's PROXY protocol header was malformed, too long, or not complete within the header timeout. */
    PROXY_HEADER,
    /** Every server that could take the session had its {@code maxconn} of sessions: closed, not queued. */
    FULL,
    /**
     * Refused by the listener's access list or per-source limits once its PROXY protocol header named the client
     * (a direct client is refused at accept, before it is a session, and only counted by reason).
     */
    REJECTED,
    /**
     * Servers were tried and every try failed (refused, timed out; UDP: port unreachable) with none left to try.
     * Last, so that the counters' indexes of the others stay as they were.
     */
    CONNECT_FAILURE,
    /**
     * niolb could not open a socket to a server for the whole connect timeout (out of descriptors, most often):
     * its own limit, not the servers', so no server is blamed (it ended {@link #NO_SERVER}, which says none could
     * take it; black-box testing, session 29). UDP counts the same as a datagram dropped {@code no_socket}.
     */
    NO_SOCKET,
    /**
     * Its server went DOWN and its group closes a DOWN server's sessions ({@code close-on-down}, HAProxy's
     * {@code on-marked-down shutdown-sessions}).
     */
    SERVER_DOWN;

    private static final Termination[] VALUES = values();

    public static Termination of(final int ordinal) {
        return VALUES[ordinal];
    }

    public static int count() {
        return VALUES.length;
    }
}
