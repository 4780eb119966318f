package dev.niolb.transport;

import java.nio.ByteBuffer;

/**
 * Runs on its session's event loop.
 *
 * <p>One direction of a TCP session: what is read from the source is written to the destination, with
 * backpressure (the source is not read while the destination has not taken what was read) and half-close (the
 * source's end becomes a shutdown of the destination's output once every byte before it is written). A
 * transport makes them ({@link Transport#relay}): through a pooled buffer ({@link BufferRelay}, every
 * transport), or, for a native transport, through a kernel pipe (splice) once a connection moves bulk.
 */
public interface StreamRelay {
    /** All is well. */
    int OK = 0;
    /** Reading the source failed (reset, or another I/O error). */
    int SRC_FAILED = 1;
    /** Writing or shutting down the destination failed. */
    int DST_FAILED = 2;
    /** No relay buffer could be had: direct memory is exhausted. */
    int NO_BUFFER = 3;

    /** The two sockets, once the session is connected. */
    void connect(StreamSocket src, StreamSocket dst);

    /** The source is readable: read and write on as much as the destination takes now. A status above. */
    int onReadable();

    /**
     * Reads what {@code src} has sent already, before the destination is connected, and holds it: {@link #prime}
     * writes it first, after a header if there is one. Nothing there yet, its end, or no buffer to be had leaves
     * nothing held (the relay reads it once connected). A status: {@link #SRC_FAILED} when the read failed.
     */
    int readAhead(StreamSocket src);

    /**
     * Bytes read ahead wait for a connect that did not complete at once (a server a round trip or more away, or
     * one that does not answer for seconds): they move to memory of their own and the pooled buffer goes back, so
     * that slow connects cannot hold the pool. Allocates; off the common path.
     */
    void parkAhead();

    /**
     * Before {@link #prime}: the bytes read ahead ({@link #readAhead}), or null. A connect may write the start of
     * them ({@link StreamSocket#connect(java.net.InetSocketAddress, ByteBuffer)} moves their position), but only
     * when no header is to go before them; {@link #prime} writes the rest and counts them all as relayed. After
     * {@link #prime} it means nothing (what it returns then is what waits to be written).
     */
    ByteBuffer ahead();

    /**
     * Writes {@code header} and then {@code early} (either may be null), or the header and the bytes read ahead,
     * before any relayed byte. A status.
     */
    int prime(ByteBuffer header, ByteBuffer early);

    /** The destination is writable: write on what is held. A status. */
    int onWritable();

    /** Whether the source should be read (nothing is held, and it has not ended). */
    boolean wantsRead();

    /** Whether the destination should be watched for writability (bytes are held). */
    boolean wantsWrite();

    /** Whether this direction is over: the source ended and the destination was shut down. */
    boolean done();

    /**
     * The other direction is over, so the session closes both sockets as soon as this one is: its end of stream
     * then needs no {@code shutdown(SHUT_WR)} of its own, since the close that follows sends the FIN (the peer's
     * end of stream has been read, so nothing unread turns that close into a reset). One system call less per
     * connection. Loop thread.
     */
    void closeFollows();

    /**
     * The source's connection was reset (the session found out another way than by reading it): what can still be
     * read from it is relayed as before, but its end is not passed on, since the destination must not take the
     * stream for complete. Reading on to that end, or writing out the last held byte once it was read, reports
     * {@link #SRC_FAILED} instead of shutting the destination down. Loop thread; off the common path.
     */
    void abortSource();

    /** Whether the source has ended. */
    boolean srcEnded();

    /** Bytes relayed so far. */
    long bytes();

    /** Bytes held now, read and not yet written. */
    int pending();

    /** Gives back what it holds (the session ends). */
    void release();
}
