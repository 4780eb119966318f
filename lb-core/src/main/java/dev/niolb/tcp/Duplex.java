package dev.niolb.tcp;

import dev.niolb.backend.ServerCounters;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Ready;
import dev.niolb.loop.Registration;
import dev.niolb.session.Termination;
import dev.niolb.transport.StreamRelay;
import dev.niolb.transport.StreamSocket;

import java.nio.ByteBuffer;

/**
 * Runs on its session's event loop.
 *
 * Both directions of a connected TCP session: the two {@link StreamRelay}s, what each socket waits for, the byte
 * counters, and how the relaying ended. The session decides when to start it and what to do with its end.
 *
 * <p>Threading: the session's event loop. Nothing here allocates or locks: it is the steady state of every
 * connection.
 *
 * <p>A reset on one side ends the session as that side's reset; an end of stream is passed on as a half-close,
 * and the side that ended first names the clean end ({@link Termination#CLIENT_CLOSE} or
 * {@link Termination#SERVER_CLOSE}) once both directions are done.
 *
 * <p>It is also the handler of the server's socket, passing its readiness to the session (whose own handler
 * readiness says "client"): one object per session, so an idle connection does not keep a third just for that.
 */
final class Duplex implements IoHandler {
    /** {@link #linger}: bytes wait for the client to take them; its writability is watched. */
    static final int LINGER_WAIT = 0;
    /** {@link #linger}: every byte the server sent has been written to the client's socket. */
    static final int LINGER_SENT = 1;
    /** {@link #linger}: the client's socket failed too. */
    static final int LINGER_FAILED = 2;

    private final TcpSession session;
    private final StreamRelay up;   // client -> server
    private final StreamRelay down; // server -> client
    private final int stripe;
    private final ListenerCounters listenerCounters;
    private Registration client;
    private Registration server;
    private ServerCounters serverCounters;
    private int clientInterest;
    private int serverInterest;
    private Termination cleanEnd;

    /** @param up client to server, {@code down} server to client: made by the session's transport */
    Duplex(final TcpSession session, final StreamRelay up, final StreamRelay down,
           final ListenerCounters listenerCounters, final int stripe) {
        this.session = session;
        this.up = up;
        this.down = down;
        this.listenerCounters = listenerCounters;
        this.stripe = stripe;
    }

    /** The server's socket is ready. */
    @Override
    public void onReady(final int readyOps) {
        session.serverReady(readyOps);
    }

    @Override
    public void onFailure(final Throwable failure) {
        session.onFailure(failure);
    }

    /** Starts relaying between two connected sockets: both are read from now on. */
    void start(final StreamSocket clientSocket, final Registration clientRegistration, final StreamSocket serverSocket,
               final Registration serverRegistration, final ServerCounters counters) {
        this.client = clientRegistration;
        this.server = serverRegistration;
        this.serverCounters = counters;
        up.connect(clientSocket, serverSocket);
        down.connect(serverSocket, clientSocket);
        clientRegistration.interest(Ready.READ);
        serverRegistration.interest(Ready.READ);
        clientInterest = Ready.READ;
        serverInterest = Ready.READ;
    }

    /**
     * Reads what the client has sent already, before the server is connected (see {@link StreamRelay#readAhead}):
     * the connect can then tell its transport that bytes follow at once, and they go first.
     *
     * @return null to go on, or how the session ends (the client's read failed)
     */
    Termination readAhead(final StreamSocket clientSocket) {
        final int status = up.readAhead(clientSocket);
        return status == StreamRelay.SRC_FAILED ? Termination.CLIENT_RESET : null;
    }

    /** Bytes read ahead move off the buffer pool while a connect takes its time ({@link StreamRelay#parkAhead}). */
    void parkAhead() {
        up.parkAhead();
    }

    /**
     * The bytes read ahead of the connect, or null: the connect may write the start of them, and {@link #prime} the
     * rest, counting them all ({@link StreamRelay#ahead}).
     */
    ByteBuffer ahead() {
        return up.ahead();
    }

    /**
     * Sends the server what must come before the client's bytes: a PROXY header, what the client sent after
     * its own header, or what was read ahead of the connect.
     *
     * @return null to go on, or how the session ends
     */
    Termination prime(final ByteBuffer header, final ByteBuffer early) {
        final long before = up.bytes();
        final int status = up.prime(header, early);
        final long n = up.bytes() - before; // the client's bytes read ahead or after its header: relayed now
        serverCounters.add(stripe, ServerCounters.BYTES_TO_SERVER, n);
        listenerCounters.add(stripe, ListenerCounters.BYTES_IN, n);
        final Termination end = ended(status, Termination.CLIENT_RESET, Termination.SERVER_RESET);
        if (end == null) {
            updateInterest();
        }
        return end;
    }

    /**
     * A socket is ready: moves what it can both ways.
     *
     * @return null to go on, or how the session ends (both directions done, a reset, no buffer)
     */
    Termination onReady(final boolean fromClient, final int ready) {
        final StreamRelay writes = fromClient ? down : up; // the relay whose destination this socket is
        final StreamRelay reads = fromClient ? up : down;  // the relay whose source it is
        final Termination ifSrc = fromClient ? Termination.CLIENT_RESET : Termination.SERVER_RESET;
        final Termination ifDst = fromClient ? Termination.SERVER_RESET : Termination.CLIENT_RESET;
        if ((ready & Ready.ERROR) != 0) {
            return ifSrc; // reset while its reads were held back and nothing was to be written to it
        }
        if ((ready & Ready.WRITE) != 0) {
            final Termination end = ended(writes.onWritable(), ifDst, ifSrc);
            if (end != null) {
                return end;
            }
        }
        if ((ready & Ready.READ) != 0) {
            final long before = reads.bytes();
            final int status = reads.onReadable();
            final long n = reads.bytes() - before;
            serverCounters.add(stripe, fromClient ? ServerCounters.BYTES_TO_SERVER : ServerCounters.BYTES_FROM_SERVER, n);
            listenerCounters.add(stripe, fromClient ? ListenerCounters.BYTES_IN : ListenerCounters.BYTES_OUT, n);
            final Termination end = ended(status, ifSrc, ifDst);
            if (end != null) {
                return end;
            }
        }
        if (cleanEnd == null && (up.srcEnded() || down.srcEnded())) {
            cleanEnd = up.srcEnded() ? Termination.CLIENT_CLOSE : Termination.SERVER_CLOSE;
        }
        if (up.done() && down.done()) {
            return cleanEnd;
        }
        if (up.done() != down.done()) {
            (up.done() ? down : up).closeFollows(); // the last direction's FIN comes with the close
        }
        updateInterest();
        return null;
    }

    /**
     * Writes what niolb holds to each peer, as far as its kernel takes it now, whether or not the socket was
     * reported writable: for a transport that cannot tell whether a peer still takes bytes (an idle timeout on nio).
     *
     * @return null to go on, or how the session ends
     */
    Termination writeHeld() {
        Termination end = down.pending() > 0 ? onReady(true, Ready.WRITE) : null;
        if (end == null && up.pending() > 0) {
            end = onReady(false, Ready.WRITE);
        }
        return end;
    }

    /**
     * The server reset its connection, found by a read, a write or an error report: from now on nothing goes to the
     * server, and what it sent before the reset still goes to the client. The server is no longer watched (a reset
     * socket is reported ready for ever), but it is read on by {@link #linger}: Linux keeps the bytes that arrived
     * before a reset readable ahead of the error.
     */
    void startLinger() {
        up.release();
        down.abortSource();
        server.cancel();
        serverInterest = 0;
    }

    /**
     * Moves what the reset server sent to the client, as far as the client takes it now: the byte held, then what is
     * left to read from the server, up to its reset (or its end: after the reset was reported elsewhere, a read finds
     * the end, which {@link StreamRelay#abortSource} keeps from being passed on as a FIN). The client is not read.
     *
     * @return {@link #LINGER_WAIT}, {@link #LINGER_SENT} or {@link #LINGER_FAILED}
     */
    int linger() {
        // the server has nothing more to give: its reset or its end was read. Never true while bytes are held (a
        // read that finds the end holds none), so it need not outlive a call that waits for the client
        boolean serverSpent = false;
        while (true) {
            if (down.pending() > 0) {
                final int status = down.onWritable();
                if (status == StreamRelay.DST_FAILED) {
                    return LINGER_FAILED;
                }
                serverSpent |= status != StreamRelay.OK; // the server's end, found by the read that emptied it
                if (down.pending() > 0) {
                    watchClient(Ready.WRITE);
                    return LINGER_WAIT;
                }
            }
            if (serverSpent) {
                watchClient(0); // the client's reset is still reported (EPOLLERR), or found by the session's polls
                return LINGER_SENT;
            }
            final long before = down.bytes();
            final int status = down.onReadable();
            final long n = down.bytes() - before;
            serverCounters.add(stripe, ServerCounters.BYTES_FROM_SERVER, n);
            listenerCounters.add(stripe, ListenerCounters.BYTES_OUT, n);
            if (status == StreamRelay.DST_FAILED) {
                return LINGER_FAILED;
            }
            // its reset or end, no buffer for the rest, or nothing to read (a socket not reset after all): done
            serverSpent = status != StreamRelay.OK || n == 0;
        }
    }

    private void watchClient(final int ops) {
        if (ops != clientInterest) {
            client.interest(ops);
            clientInterest = ops;
        }
    }

    /** How a relay's status ends the session: {@code ifSrc} when reading its source failed, {@code ifDst} for its destination. */
    private static Termination ended(final int status, final Termination ifSrc, final Termination ifDst) {
        return switch (status) {
            case StreamRelay.OK -> null;
            case StreamRelay.NO_BUFFER -> Termination.NO_BUFFER;
            case StreamRelay.SRC_FAILED -> ifSrc;
            default -> ifDst;
        };
    }

    private void updateInterest() {
        final int c = (up.wantsRead() ? Ready.READ : 0) | (down.wantsWrite() ? Ready.WRITE : 0);
        if (c != clientInterest) {
            client.interest(c);
            clientInterest = c;
        }
        final int s = (down.wantsRead() ? Ready.READ : 0) | (up.wantsWrite() ? Ready.WRITE : 0);
        if (s != serverInterest) {
            server.interest(s);
            serverInterest = s;
        }
    }

    /** Bytes from the client to the server so far. */
    long bytesIn() {
        return up.bytes();
    }

    /** Bytes from the server to the client so far. */
    long bytesOut() {
        return down.bytes();
    }

    /** Bytes held in buffers now (at most one buffer per direction). */
    int pending() {
        return up.pending() + down.pending();
    }

    /** Bytes read from the server and not yet written to the client. */
    int pendingToClient() {
        return down.pending();
    }

    /** Bytes read from the client and not yet written to the server. */
    int pendingToServer() {
        return up.pending();
    }

    /** Gives the buffers back. */
    void release() {
        up.release();
        down.release();
    }
}
