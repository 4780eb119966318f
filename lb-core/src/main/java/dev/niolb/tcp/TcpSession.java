package dev.niolb.tcp;

import dev.niolb.accesslog.AccessLog;
import dev.niolb.accesslog.AccessRecord;
import dev.niolb.admission.Admission;
import dev.niolb.balance.GroupBalancer;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Protocol;
import dev.niolb.config.Splice;
import dev.niolb.loop.BufferPool;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.WheelTimer;
import dev.niolb.session.LoopSession;
import dev.niolb.session.ServerAttempts;
import dev.niolb.session.SessionInfo;
import dev.niolb.session.Termination;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerCounters;
import dev.niolb.loop.Registration;
import dev.niolb.loop.Ready;
import dev.niolb.transport.ConnectionReset;
import dev.niolb.transport.StreamSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs on one event loop for its whole life (not threadsafe): a client connection, the server connection niolb
 * opened for it, and the {@link Duplex} between them, through the session's phases. Both sockets are registered
 * with that loop; the session handles the client's readiness and its {@link Duplex} the server's. Who the
 * client is lives in {@link SessionClient}; which server to try next in {@code ServerAttempts}.
 *
 * <p>Life: [HEADER (on a listener that accepts the PROXY protocol, from a trusted peer: the client is read
 * until its header is complete, with a header timeout on the wheel; a malformed, oversized, late or cut header
 * closes this connection only, counted by reason; the decoded source becomes the client address, and bytes
 * after the header are kept to be relayed first)] → CONNECTING (the client is not read; a non-blocking connect
 * runs with a connect timeout on the loop's timer wheel; a refused, unreachable or timed-out connect is counted
 * against the server and the next server is tried, up to the listener's retries, so the client never sees a
 * failed try) → RELAYING (both
 * directions, half-close passed on, an idle timer re-armed lazily: reads only stamp the time, the timer checks
 * it when it fires; the same timer ends the session at its maximum age, at a moment when no byte of it is
 * held in a buffer) → CLOSED (both directions ended, a reset or error on either side, idle, age, shutdown).
 *
 * <p>The client address is one field, set at accept or from the PROXY header: what the balancer hashes, what
 * {@link #info()} shows, and what a PROXY header to the server carries. When the server is to get a header
 * ({@code send-proxy}), it is written on each successful connect, before any relayed byte, so a retry on
 * another server sends it too.
 *
 * <p>A reset on one side is passed on as a reset (SO_LINGER 0) to the other, so that a peer never mistakes
 * an aborted stream for a complete one. A server's reset first LINGERS: what the server sent before it still goes
 * to the client (what niolb holds, what is left to read from the reset socket), the server's place is given back,
 * and where the transport can tell ({@link StreamSocket#unacknowledgedBytes}) the client is reset only once its
 * kernel has acknowledged every byte, since a reset throws away what its socket has not sent yet. A client that
 * takes nothing for {@link #LINGER_MAX_MS} (or the idle timeout, if shorter) is reset all the same.
 */
final class TcpSession extends WheelTimer implements IoHandler, LoopSession {
    private static final Logger LOG = LoggerFactory.getLogger(TcpSession.class);
    private static final long AGE_RETRY_MS = 20;
    /** Out of descriptors for a server socket: the client waits, and the open is tried again this often. */
    private static final long DESCRIPTOR_RETRY_MS = 100;
    /**
     * Lingering after a server's reset: how long the client may take nothing (no byte written to it, none of what
     * was written acknowledged) before it is reset all the same; less when the idle timeout is shorter.
     */
    static final long LINGER_MAX_MS = 30_000;
    /** Lingering: how often the client's unacknowledged bytes are asked for: at most (while they go down), at least. */
    private static final long LINGER_POLL_MIN_MS = 8;
    private static final long LINGER_POLL_MAX_MS = 250;
    /** An idle timeout with bytes in flight: how soon it looks whether the kernels still deliver them. */
    private static final long IDLE_RECHECK_MS = 1_000;

    private final TcpListener listener;
    private final TcpListener.Settings settings; // the listener's as accepted: a reload does not change them here
    private final GroupBalancer balancer;
    private final StreamSocket client;
    private final SessionClient who;
    private final int stripe;
    private final long id;
    private final long startEpochMs;
    private final long startNanos; // loop clock
    private final Duplex duplex;

    private Registration clientRegistration;
    private Registration serverRegistration;
    private StreamSocket serverSocket;
    private Server server;
    private Server lastTried; // for the access log of a session whose every try failed
    private String failedWhy; // why the connect to lastTried failed, until connectNext has logged it
    /** The end of {@link #failedWhy} for a server that reset as it was established ({@link #resetAsConnected}). */
    private static final String RESET_AS_CONNECTED = " as it was established (not counted against the server)";
    private Phase phase = Phase.NEW;
    private final ServerAttempts attempts;
    private long connectStartNanos; // of the try under way
    private long firstConnectStartNanos; // of the first try: the access log's connect time counts every try
    private long connectNanos = -1; // -1 until a connect succeeded; from the first try's start
    private long lastActivityMs;
    private long ageDeadlineMs; // 0: no maximum age
    private InetAddress admittedSource; // counted against its source by the listener's Admission; null: not counted
    private long descriptorWaitUntilMs; // 0 until a server socket could not be opened for want of descriptors
    private int unacknowledged = Integer.MAX_VALUE; // lingering: the client's unacknowledged bytes when last asked

    TcpSession(final EventLoop loop, final TcpListener listener, final TcpListener.Settings settings,
               final GroupBalancer balancer, final BufferPool pool,
               final StreamSocket client, final InetSocketAddress clientAddress, final int stripe) {
        super(loop); // the session is its own timer: header, connect, descriptor wait, then idle and age
        this.listener = listener;
        this.settings = settings; // those the acceptor took this connection's places under
        this.balancer = balancer;
        this.client = client;
        this.who = new SessionClient(clientAddress);
        this.stripe = stripe;
        this.id = loop().nextSessionId();
        this.startEpochMs = System.currentTimeMillis();
        this.startNanos = loop().nowNanos();
        final Splice splice = settings.options().splice();
        this.duplex = new Duplex(this, listener.transport().relay(pool, splice),
            listener.transport().relay(pool, splice), listener.counters(), stripe);
        this.attempts = new ServerAttempts(settings.options().retries());
    }

    /**
     * The listener's {@link Admission} admitted this connection as coming from {@code source}: it is released
     * with the same address when the session closes. Set by the acceptor for a direct client; for a client behind
     * a PROXY protocol header the session asks the admission itself once the header names the client.
     */
    TcpSession admitted(final InetAddress source) {
        this.admittedSource = source;
        return this;
    }

    /**
     * Takes the accepted client: registers it and starts connecting to a server, or, from a peer that must send a
     * PROXY header, starts reading that first.
     */
    void start() {
        listener.counters().add(stripe, ListenerCounters.ACTIVE, 1);
        loop().add(this);
        final AcceptProxy acceptProxy = settings.acceptProxy();
        final boolean readHeader = acceptProxy.expectsHeaderFrom(who.peer().getAddress());
        phase = readHeader ? Phase.HEADER : Phase.CONNECTING;
        try {
            client.apply(settings.options());
            clientRegistration = client.register(loop(), readHeader ? Ready.READ : 0, this);
        } catch (final IOException e) {
            close(Termination.CLIENT_RESET);
            return;
        }
        if (readHeader) {
            who.expectHeader(acceptProxy.maxHeaderLength());
            after(settings.headerTimeoutMs());
            return;
        }
        if (acceptProxy.enabled()) {
            listener.counters().add(stripe, ListenerCounters.PROXY_DIRECT, 1);
        }
        if (client.firstBytesLikely()) {
            final Termination end = duplex.readAhead(client);
            if (end != null) {
                close(end);
                return;
            }
        }
        connectNext();
    }

    /** The client is readable while its PROXY header is expected. */
    private void readHeader() {
        final int status = who.readHeader(client);
        switch (status) {
            case ClientHeaderReader.NEED_MORE -> {
            }
            case ClientHeaderReader.DONE -> headerRead();
            case ClientHeaderReader.MALFORMED, ClientHeaderReader.OVERSIZE -> {
                listener.counters().add(stripe, status == ClientHeaderReader.MALFORMED
                    ? ListenerCounters.PROXY_MALFORMED : ListenerCounters.PROXY_OVERSIZE, 1);
                listener.warnProxyHeader(loop().nowMs(), who.peer(), who.problem().description());
                close(Termination.PROXY_HEADER);
            }
            default -> { // CLOSED, RESET
                listener.counters().add(stripe, ListenerCounters.PROXY_INCOMPLETE, 1);
                close(status == ClientHeaderReader.CLOSED ? Termination.CLIENT_CLOSE : Termination.CLIENT_RESET);
            }
        }
    }

    /** The header is in: the client address is final now; stop reading the client and connect. */
    private void headerRead() {
        cancel();
        listener.counters().add(stripe, ListenerCounters.PROXY_HEADERS, 1);
        who.headerRead();
        // the access list and per-source limits judge the client the header names, not the proxy in front of it;
        // a header that names none is the proxy's own connection (the address is the peer's then)
        final InetAddress source = who.address().getAddress();
        final boolean named = who.headerNamedClient();
        final Admission.Verdict verdict = named ? settings.admission().admit(source, loop().nowNanos())
            : settings.admission().admitProxysOwn(source);
        if (verdict != Admission.Verdict.OK) {
            listener.counters().add(stripe, ListenerCounters.rejectedField(verdict), 1);
            close(Termination.REJECTED);
            return;
        }
        admittedSource = named ? source : null; // the proxy's own took no place to give back
        clientRegistration.interest(0); // the kernel holds what the client sends while we connect
        phase = Phase.CONNECTING;
        connectNext();
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public long lastActivityMs() {
        return lastActivityMs;
    }

    /** The server this session is connected (or connecting) to; null before the first pick and after a failure. */
    @Override
    public Server server() {
        return server;
    }

    // ---------------------------------------------------------------------------------------------- connect

    private void connectNext() {
        while (phase == Phase.CONNECTING) {
            final Server next = attempts.next(balancer, who.hash());
            final boolean lastTryReset = failedWhy != null && failedWhy.endsWith(RESET_AS_CONNECTED);
            if (failedWhy != null) {
                // said once the next pick is known: "trying another" when there was none misled (session 20)
                listener.warnConnectFailure(loop().nowMs(), lastTried.toString(), failedWhy,
                    next == null ? null : next.toString());
                failedWhy = null;
            }
            if (next == null) {
                final Termination end = attempts.giveUp();
                close(lastTryReset && end == Termination.CONNECT_FAILURE ? Termination.SERVER_RESET : end);
                return;
            }
            final StreamSocket channel;
            try {
                channel = listener.transport().openStream(next.address());
            } catch (final IOException e) {
                // out of descriptors (EMFILE) or similar: our problem, not the server's, so no server is blamed
                attempts.notAsked(next);
                waitForDescriptor(e);
                return;
            }
            server = next;
            lastTried = next;
            serverSocket = channel;
            next.counters().add(stripe, ServerCounters.ACTIVE, 1);
            // a real clock read, not the loop's wake-up clock: a loopback connect takes less than a wake-up's
            // resolution, and the connect-time histogram must see it (two vDSO reads per session, ~40 ns)
            connectStartNanos = System.nanoTime();
            if (attempts.attempts() <= 1) {
                firstConnectStartNanos = connectStartNanos;
            }
            // bytes go the moment it is connected: the client's, read ahead or after its PROXY header, or ours;
            // bytes read ahead with no header of ours to go before them can go with the connect itself
            final boolean headerFirst = next.sendProxy().enabled();
            final ByteBuffer readAhead = duplex.ahead();
            final ByteBuffer ahead = headerFirst ? null : readAhead;
            final int aheadFrom = ahead == null ? 0 : ahead.position();
            try {
                channel.apply(settings.options());
                final boolean connected = ahead != null
                    ? channel.connect(next.address(), ahead)
                    : channel.connect(next.address(), who.hasEarly() || headerFirst && readAhead != null);
                if (connected) {
                    onConnected();
                } else {
                    serverRegistration = channel.register(loop(), Ready.CONNECT, duplex);
                    // a connect that waits: a client that resets meanwhile ends the session now (one epoll_ctl,
                    // only here: a connect to the host's own address completes in the call)
                    clientRegistration.hearResets();
                    // from the connect's own clock read, not the wake-up's: a wake-up's work (a cold first one
                    // took ms) fired the timeout that much early (black-box testing, session 31)
                    at(connectStartNanos / 1_000_000L + settings.connectTimeoutMs());
                    duplex.parkAhead(); // a connect that takes a round trip or more does not hold a pooled buffer
                }
                return;
            } catch (final IOException e) {
                if (ahead != null && ahead.position() != aheadFrom) {
                    // connected and written to, then failed (registering the socket): not the server's fault, and
                    // another server cannot be given the rest of a stream whose start went to this one. Both are
                    // reset, so that neither takes a cut stream for a whole one
                    listener.warnConnectFailure(loop().nowMs(), next.toString(), describe(e), null);
                    close(Termination.INTERNAL_ERROR);
                    return;
                }
                failedTry(e); // a reset there: a loopback connect, done in the call, then reset
            }
        }
    }

    private void finishConnect() {
        try {
            if (!serverSocket.finishConnect()) {
                return;
            }
        } catch (final IOException e) {
            failedTry(e);
            connectNext();
            return;
        }
        try {
            onConnected();
        } catch (final IOException e) {
            failedTry(e); // registering or priming the socket met the server's reset
            connectNext();
        }
    }

    /** A try that ended before the session relayed: a reset as it was established, or a failed connect. */
    private void failedTry(final IOException e) {
        if (ConnectionReset.is(e)) {
            resetAsConnected(describe(e));
        } else {
            connectFailed(describe(e));
        }
    }

    /**
     * The server completed the handshake and reset before the connect was seen done (it may have sent bytes,
     * which the reset discarded): the client has had nothing, so the next server is tried as after a failed
     * connect, but it is no failed connect (refused, unreachable, timed out) and passive health does not count
     * it, as it does not count a reset during a session. Whether a reset came before or after the loop saw the
     * connect done was a matter of timing, and made a server that accepts and resets DOWN now and then.
     */
    private void resetAsConnected(final String why) {
        dropTry();
        failedWhy = why + RESET_AS_CONNECTED; // the mark connectNext goes by: no field more in every session
    }

    /** Counts a failed try against its server and drops its socket; the caller tries the next server. */
    private void connectFailed(final String why) {
        final Server failed = server;
        failed.counters().add(stripe, ServerCounters.FAILED_CONNECTS, 1);
        listener.counters().add(stripe, ListenerCounters.CONNECT_FAILURES, 1);
        dropTry();
        failedWhy = why; // of lastTried; logged by connectNext, which always follows, once it knows what is next
        balancer.group().connectFailed(failed, why); // passive health: lock-free, tells the health loop at N in a row
    }

    /** Gives up the try under way: its timer, its place at the server, and its socket. */
    private void dropTry() {
        cancel();
        server.counters().add(stripe, ServerCounters.ACTIVE, -1);
        attempts.release();
        server = null;
        if (serverRegistration != null) {
            serverRegistration.cancel();
            serverRegistration = null;
        }
        serverSocket.close(false);
        serverSocket = null;
    }

    /**
     * No socket to a server could be opened, typically for want of descriptors. Closing the client would free
     * its descriptor for the next accept, which would fail the same way: the backlog would be drained by
     * accepting and closing every waiting client. Instead the client waits (registered, not read), the open is
     * tried again every 100 ms up to the connect timeout, and the acceptor backs off ({@link #waitingForDescriptor}).
     */
    private void waitForDescriptor(final IOException e) {
        final long now = loop().nowMs();
        if (descriptorWaitUntilMs == 0) {
            descriptorWaitUntilMs = now + settings.connectTimeoutMs();
        }
        if (now >= descriptorWaitUntilMs) {
            close(Termination.NO_SOCKET);
            return;
        }
        listener.warnNoDescriptor(now, describe(e));
        duplex.parkAhead();
        at(now + DESCRIPTOR_RETRY_MS);
    }

    /** Whether this session waits for a descriptor for its server socket (the acceptor then backs off). */
    boolean waitingForDescriptor() {
        return phase == Phase.CONNECTING && serverSocket == null && armed();
    }

    private void onConnected() throws IOException {
        if (serverRegistration == null) {
            serverRegistration = serverSocket.register(loop(), Ready.READ, duplex);
        } else {
            serverRegistration.interest(Ready.READ);
        }
        cancel();
        phase = Phase.RELAYING;
        server.counters().add(stripe, ServerCounters.TOTAL, 1);
        final long connectedNanos = System.nanoTime();
        final long thisTry = connectedNanos - connectStartNanos; // the server's own connect time
        // the client waited for every try: the access log's connect time says so, as HAProxy's Tc does (it gave
        // the last try's 0.9 ms after a 1 s connect timeout on the first server; black-box testing, session 31)
        connectNanos = connectedNanos - firstConnectStartNanos;
        server.connectSucceeded(stripe, thisTry, connectedNanos);
        server.counters().connectTimes().record(stripe, thisTry);
        duplex.start(client, clientRegistration, serverSocket, serverRegistration, server.counters());
        lastActivityMs = loop().nowMs();
        final long maxAge = settings.maxAgeMs();
        if (maxAge > 0) {
            // 90 to 100% of the age, so that sessions opened together (after a restart) do not end together
            ageDeadlineMs = lastActivityMs + maxAge - ThreadLocalRandom.current().nextLong(maxAge / 10 + 1);
        }
        armRelayTimer();
        final ByteBuffer header = who.headerFor(server.sendProxy(), client, listener.localAddress());
        final ByteBuffer early = who.takeEarly();
        if (header != null || early != null || duplex.ahead() != null) {
            final Termination end = duplex.prime(header, early);
            if (end != null) {
                end(end);
            }
        }
    }

    /** One timer for both the idle timeout and the maximum age: whichever comes first. */
    private void armRelayTimer() {
        final long idle = settings.idleTimeoutMs();
        final long idleUntil = idle > 0 ? lastActivityMs + idle : Long.MAX_VALUE;
        final long until = ageDeadlineMs > 0 ? Math.min(idleUntil, ageDeadlineMs) : idleUntil;
        if (until != Long.MAX_VALUE) {
            at(until);
        }
    }

    // ------------------------------------------------------------------------------------------------ relay

    /** The client's socket is ready (this session is its handler; its {@link Duplex} is the server's). */
    @Override
    public void onReady(final int readyOps) {
        onReady(true, readyOps);
    }

    /** The server's socket is ready (told by the {@link Duplex}, its handler). */
    void serverReady(final int readyOps) {
        onReady(false, readyOps);
    }

    private void onReady(final boolean fromClient, final int ready) {
        if (phase == Phase.HEADER) {
            if (fromClient) {
                readHeader();
            }
            return;
        }
        if (phase == Phase.CONNECTING) {
            if (!fromClient) {
                finishConnect();
            } else if ((ready & Ready.ERROR) != 0) {
                close(Termination.CLIENT_RESET); // after its PROXY header, while the server is connected
            }
            return;
        }
        if (phase == Phase.LINGERING) {
            if (fromClient) {
                if ((ready & Ready.ERROR) != 0) {
                    close(Termination.SERVER_RESET); // the client is gone too: nothing left to deliver
                } else if ((ready & Ready.WRITE) != 0) {
                    linger();
                }
            }
            return;
        }
        if (phase != Phase.RELAYING) {
            return;
        }
        lastActivityMs = loop().nowMs();
        final Termination end = duplex.onReady(fromClient, ready);
        if (end != null) {
            end(end);
        } else if (ageDeadlineMs > 0 && lastActivityMs >= ageDeadlineMs && duplex.pending() == 0) {
            // past its age, at the first moment nothing of theirs is held: a slow reader's session has such moments
            // only right after a write, where the timer's checks never found one (session 21)
            close(Termination.MAX_AGE);
        }
    }

    /** The relaying ended: a clean end both ways, a reset, or no buffer to be had. */
    private void end(final Termination reason) {
        if (reason == Termination.NO_BUFFER) {
            listener.warnNoBuffer(loop().nowMs());
        }
        if (reason == Termination.SERVER_RESET && phase == Phase.RELAYING) {
            phase = Phase.LINGERING;
            cancel(); // the idle and age timer: lingering has a limit of its own
            lastActivityMs = loop().nowMs();
            duplex.startLinger();
            releaseServerPlace(); // its connection is over: it no longer counts against the server
            unacknowledged = client.unacknowledgedBytes(); // what the client's kernel still has to take, -1: unknown
            linger();
            return;
        }
        close(reason);
    }

    // -------------------------------------------------------------------------------------------- lingering

    /** Moves what the reset server sent on to the client; once all of it is written, waits for it to arrive. */
    private void linger() {
        if (serverSocket == null) {
            return; // all of it was written already: the polls of awaitAcknowledged take it from there
        }
        final long written = duplex.bytesOut() - duplex.pending();
        final int outcome = duplex.linger();
        if (duplex.bytesOut() - duplex.pending() != written) {
            lastActivityMs = loop().nowMs(); // the client took some: the limit counts from here
            unacknowledged = client.unacknowledgedBytes();
        }
        switch (outcome) {
            case Duplex.LINGER_WAIT -> at(lingerCheckMs(loop().nowMs())); // or takes some
            case Duplex.LINGER_SENT -> {
                // a reset, not a FIN: the client's bytes that the server never got were dropped, so its stream is cut
                serverSocket.close(true);
                serverSocket = null; // now: the client is all that is left
                awaitAcknowledged(loop().nowMs());
            }
            default -> close(Termination.SERVER_RESET);
        }
    }

    /**
     * Resets the client once its kernel has every byte written to it, or when it has taken nothing for the
     * linger limit; asks again after a while otherwise: more often while the bytes go down, less when they do not.
     */
    private void awaitAcknowledged(final long nowMs) {
        final int left = client.unacknowledgedBytes();
        if (left <= 0) {
            close(Termination.SERVER_RESET); // nothing to lose, or the transport cannot tell: as without lingering
            return;
        }
        if (acknowledgedSince(left)) {
            lastActivityMs = nowMs;
        }
        final long stalled = nowMs - lastActivityMs;
        if (stalled >= lingerLimitMs()) {
            close(Termination.SERVER_RESET);
            return;
        }
        at(nowMs + Math.clamp(stalled / 4, LINGER_POLL_MIN_MS, LINGER_POLL_MAX_MS));
    }

    /**
     * When a session past its maximum age ends whatever it holds: a tenth of the age after its deadline (see
     * {@link #expired}); never when it has no maximum age.
     */
    private long ageEndMs() {
        return ageDeadlineMs > 0 ? ageDeadlineMs + settings.maxAgeMs() / 10 + AGE_RETRY_MS : Long.MAX_VALUE;
    }

    /** When a linger waiting to write looks again: at its limit or its age's end, and a few times a second before. */
    private long lingerCheckMs(final long nowMs) {
        return Math.min(nowMs + LINGER_POLL_MAX_MS, Math.min(lastActivityMs + lingerLimitMs(), ageEndMs()));
    }

    private long lingerLimitMs() {
        final long idle = settings.idleTimeoutMs();
        return idle > 0 ? Math.min(idle, LINGER_MAX_MS) : LINGER_MAX_MS;
    }

    /** The server's connection is over: its place and counters given back (its socket is closed by the caller). */
    private void releaseServerPlace() {
        if (server != null) {
            server.counters().add(stripe, ServerCounters.ACTIVE, -1);
            attempts.release();
            if (connectNanos >= 0) {
                server.counters().sessionTimes().record(stripe, loop().nowNanos() - startNanos);
            }
            server = null;
        }
    }

    // ----------------------------------------------------------------------------------------------- timers

    @Override
    protected void expired(final long nowMs) {
        if (phase == Phase.HEADER) {
            listener.counters().add(stripe, ListenerCounters.PROXY_TIMEOUT, 1);
            listener.warnProxyHeader(nowMs, who.peer(), "not complete within " + settings.headerTimeoutMs() + " ms");
            close(Termination.PROXY_HEADER);
        } else if (phase == Phase.CONNECTING) {
            if (serverSocket != null) {
                connectFailed("timed out after " + settings.connectTimeoutMs() + " ms");
            } // else it waited for a descriptor: try again
            connectNext();
        } else if (phase == Phase.RELAYING) {
            final long idle = settings.idleTimeoutMs();
            if (idle > 0 && nowMs >= lastActivityMs + idle) {
                idleExpired(nowMs, idle);
            } else if (ageDeadlineMs > 0 && nowMs >= ageDeadlineMs) {
                if (duplex.pending() == 0 || nowMs >= ageEndMs()) {
                    // a clean close both ways when nothing of theirs is held here; else, a tenth of the age
                    // later, an abort for the peer whose bytes are held (close), rather than a session that never
                    // ends because its reader is slow
                    close(Termination.MAX_AGE);
                } else {
                    at(nowMs + AGE_RETRY_MS); // bytes in flight: end between writes (see onReady)
                }
            } else {
                unacknowledged = Integer.MAX_VALUE; // activity since: what the kernels held then says nothing now
                armRelayTimer(); // activity since it was armed: check again then
            }
        } else if (phase == Phase.LINGERING) {
            if (nowMs >= ageEndMs()) {
                close(Termination.SERVER_RESET); // the maximum age bounds a linger too (session 21's re-test)
            } else if (serverSocket == null) {
                awaitAcknowledged(nowMs);
            } else {
                // niolb may have written nothing for a while, but a large send buffer drains into a slow reader
                // meanwhile: the client took some whenever its kernel acknowledged bytes. Asked a few times a
                // second, so that the limit counts from about the last of them: asked only at the limit, any
                // acknowledgement since the linger began granted a whole new limit, twice the limit in all
                // (black-box testing, session 29)
                if (acknowledgedSince(client.unacknowledgedBytes())) {
                    lastActivityMs = nowMs;
                }
                if (nowMs >= lastActivityMs + lingerLimitMs()) {
                    close(Termination.SERVER_RESET);
                } else {
                    at(lingerCheckMs(nowMs));
                }
            }
        }
    }

    /**
     * No byte read or written for the idle timeout. But niolb writes into a send buffer of up to megabytes, which a
     * slow reader takes seconds to empty with no write of niolb's meanwhile: while a kernel still gets bytes
     * acknowledged, the connection is not idle (session 21's tester saw a client reading steadily cut at the idle
     * timeout with a clean end). Where a transport can tell ({@link StreamSocket#unacknowledgedBytes}): bytes in
     * flight are looked at again after a second at most, and each time they went down the session goes on for
     * another idle timeout.
     */
    private void idleExpired(final long nowMs, final long idle) {
        final boolean first = unacknowledged == Integer.MAX_VALUE;
        final int inFlight = inFlight();
        if (acknowledgedSince(inFlight)) {
            if (first) {
                at(nowMs + Math.min(idle, IDLE_RECHECK_MS)); // did they go down? look again shortly
            } else {
                lastActivityMs = nowMs; // they went down: the peer takes bytes, so the session is not idle
                armRelayTimer();
            }
            return;
        }
        if (inFlight < 0 && duplex.pending() > 0) {
            // the transport cannot tell (nio), but niolb holds bytes for a peer: a write takes some as soon as its
            // kernel has room, long before the socket is reported writable again (a third of a send buffer of
            // megabytes, a minute for a slow reader). A peer that took some is not idle (black-box testing, session
            // 33: nio reset a client downloading at 25 KB/s at a 3 s idle timeout; epoll and HAProxy did not)
            final int held = duplex.pending();
            final Termination end = duplex.writeHeld();
            if (end != null) {
                close(end);
                return;
            }
            if (duplex.pending() < held) {
                lastActivityMs = nowMs;
                armRelayTimer();
                return;
            }
        }
        close(Termination.IDLE_TIMEOUT);
    }

    /**
     * Whether {@code left}, bytes now unacknowledged (-1: unknown), are fewer than when last asked: the peer's
     * kernel took some since. Remembers {@code left} for the next question.
     */
    private boolean acknowledgedSince(final int left) {
        final boolean took = left > 0 && left < unacknowledged;
        unacknowledged = left;
        return took;
    }

    /** Bytes written to either socket and not acknowledged yet; -1 where the transport cannot tell. */
    private int inFlight() {
        final int toClient = client.unacknowledgedBytes();
        final int toServer = serverSocket == null ? 0 : serverSocket.unacknowledgedBytes();
        return toClient < 0 || toServer < 0 ? -1 : toClient + toServer;
    }

    // ------------------------------------------------------------------------------------------------ close

    @Override
    public void onFailure(final Throwable failure) {
        close(Termination.INTERNAL_ERROR);
    }

    @Override
    public void close(final Termination why) {
        if (phase == Phase.CLOSED) {
            return;
        }
        // a lingering session ends as what it is, whatever ends it (a shutdown, the linger limit): its server reset
        // it; but niolb's own failure stays one, so that internal_error keeps counting every bug
        final Termination reason = phase == Phase.LINGERING && why != Termination.INTERNAL_ERROR
            ? Termination.SERVER_RESET : why;
        // bytes niolb read and will never write: the peer they were for sees an abort, never a clean end that would
        // make a cut stream look whole (an idle timeout or a drain that finds a stalled reader, session 21). Before
        // any server, they are the client's bytes read ahead, and the client is told as it would be if they were
        // still unread in the kernel (a close then resets)
        final boolean relayed = phase == Phase.RELAYING || phase == Phase.LINGERING;
        if (phase == Phase.CONNECTING && duplex.pending() == 0) {
            // refused before any server took it (none could, every connect failed, a stop): bytes the client sent
            // are read ahead now, as epoll usually has already, so that a client is told the same way on every
            // transport. nio never read ahead, and its close sent a FIN first, a clean end (session 21)
            duplex.readAhead(client);
        }
        final boolean cutForClient = relayed ? duplex.pendingToClient() > 0 : duplex.pending() > 0;
        final boolean cutForServer = relayed && duplex.pendingToServer() > 0;
        phase = Phase.CLOSED;
        cancel();
        // a refused PROXY header is aborted at once, so that the sender notices (and no TIME_WAIT is left)
        // no buffer: what is left of the stream sits unread in the kernel, where the counts above do not see it,
        // and a FIN would pass the cut stream off as a whole one to both (black-box testing, session 24)
        final boolean abortClient = reason == Termination.SERVER_RESET || reason == Termination.INTERNAL_ERROR
            || reason == Termination.PROXY_HEADER || reason == Termination.REJECTED || reason == Termination.NO_BUFFER
            || cutForClient;
        final boolean abortServer = reason == Termination.CLIENT_RESET || reason == Termination.INTERNAL_ERROR
            || reason == Termination.NO_BUFFER && relayed || cutForServer;
        client.close(abortClient);
        if (serverSocket != null) {
            serverSocket.close(abortServer);
            serverSocket = null;
        }
        duplex.release();
        who.release();
        // the clock now, not the wake-up's: a session that ends in the wake-up that accepted it (a server on this
        // host that refuses in the connect call) did not last 0 µs
        final long durationNanos = System.nanoTime() - startNanos;
        releaseServerPlace();
        listener.counters().ended(stripe, reason, durationNanos);
        listener.ended(settings, admittedSource);
        loop().remove(this);
        final AccessLog accessLog = listener.accessLog();
        if (accessLog.enabled()) {
            // one immutable record; the line is formatted on the access log's thread
            accessLog.offer(stripe, new AccessRecord(startEpochMs, Protocol.TCP, who.address(), listener.name(),
                balancer.group().name(), lastTried == null ? null : lastTried.name(),
                connectNanos < 0 ? -1 : connectNanos / 1000, Math.max(0, durationNanos) / 1000, duplex.bytesIn(),
                duplex.bytesOut(), Math.max(0, attempts.attempts() - 1), reason));
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("session {} {} -> {} closed: {} (in {} B, out {} B)", Long.toHexString(id), who.address(),
                lastTried, reason, duplex.bytesIn(), duplex.bytesOut());
        }
    }

    @Override
    public SessionInfo info() {
        final String stateName = switch (phase) {
            case HEADER -> "header";
            case NEW, CONNECTING -> "connecting";
            case RELAYING -> "relaying";
            case LINGERING -> "lingering";
            case CLOSED -> "closed";
        };
        final Server shown = phase == Phase.LINGERING ? lastTried : server; // lingering: the server that reset it
        return new SessionInfo(id, listener.name(), who.address(), shown == null ? null : shown.group(),
            shown == null ? null : shown.name(),
            startEpochMs, duplex.bytesIn(), duplex.bytesOut(), stateName);
    }

    /** Bytes this session holds in buffers now (at most one buffer per direction). */
    int bufferedBytes() {
        return duplex.pending();
    }

    private static String describe(final IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Where a session is in its life (see the class comment). */
    private enum Phase {
        /** Made, not started. */
        NEW,
        /** Reading the client's PROXY protocol header. */
        HEADER,
        /** Picking a server and connecting to it, retries included; the client is not read. */
        CONNECTING,
        /** Both directions relayed. */
        RELAYING,
        /** The server reset: what it sent before still goes to the client, which is then reset. */
        LINGERING,
        /** Ended; every resource given back. */
        CLOSED
    }
}
