package dev.niolb.loop;

/**
 * Constants; any thread.
 *
 * Readiness and interest flags, the same for every transport. The values are {@code SelectionKey}'s, so that the
 * NIO poller passes them through untranslated; a native poller maps its own events onto them.
 */
public final class Ready {
    /** Bytes (or a datagram, or the end of the stream) can be read. */
    public static final int READ = 1;
    /** Bytes can be written. */
    public static final int WRITE = 4;
    /** A connect has finished, well or not. */
    public static final int CONNECT = 8;
    /** A connection waits to be accepted. */
    public static final int ACCEPT = 16;
    /**
     * Never an interest: a connected stream socket whose owner waits for nothing on it (a relay held back by the
     * other side) was reset or failed. Only a native poller tells it; NIO drops such a socket from its set.
     */
    public static final int ERROR = 32;

    private Ready() {
    }
}
