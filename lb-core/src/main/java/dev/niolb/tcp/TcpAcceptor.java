package dev.niolb.tcp;

import dev.niolb.accesslog.AccessLog;
import dev.niolb.accesslog.AccessRecord;
import dev.niolb.admission.Admission;
import dev.niolb.admission.ConnectionLimit;
import dev.niolb.balance.GroupBalancer;
import dev.niolb.config.Protocol;
import dev.niolb.loop.BufferPool;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.LoopTimer;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Timeout;
import dev.niolb.loop.Registration;
import dev.niolb.loop.Ready;
import dev.niolb.session.Termination;
import dev.niolb.transport.ListeningSocket;
import dev.niolb.transport.StreamSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Runs on one event loop (made on the thread that binds its listener, registered on the loop).
 *
 * A listener's socket on one event loop: accepts connections, admits or refuses each, and starts a
 * {@link TcpSession} for those admitted.
 *
 * <p>Not threadsafe: owned by one loop ({@link #wake} is the one method other threads call). Three things make
 * it stop watching its socket, each without spinning on a socket that stays readable, while sessions in flight
 * go on and new clients wait in the kernel's backlog:
 * <ul>
 *   <li><b>maxconn</b>: a place is taken under the listener's and the process's {@link ConnectionLimit} before
 *   each {@code accept}; when there is none the acceptor parks until a connection ends somewhere (HAProxy's
 *   behaviour: stop accepting, not accept and drop);</li>
 *   <li><b>accept failure</b> (typically out of file descriptors, EMFILE): a 100 ms back-off;</li>
 *   <li><b>close</b>: for good.</li>
 * </ul>
 * An accepted connection is then checked by the listener's {@link Admission} (access list, per-source limits)
 * before anything else is done for it: a refused one is closed at once with a reset (SO_LINGER 0, as HAProxy's
 * {@code tcp-request connection reject}) and counted by reason. A connection from a trusted PROXY protocol peer
 * is judged later, by its session, on the client address its header names.
 */
final class TcpAcceptor implements IoHandler, Timeout, ConnectionLimit.Waiter {
    private static final Logger LOG = LoggerFactory.getLogger(TcpAcceptor.class);
    /** Accepts per wake-up: enough to drain a burst, few enough that relaying sessions are not starved. */
    private static final int ACCEPTS_PER_WAKEUP = 64;
    private static final long BACKOFF_MS = 100;

    private final TcpListener listener;
    private final EventLoop loop;
    private final ListeningSocket socket;
    private final int stripe;
    private final Runnable resume = this::resume;
    private TcpListener.Settings settings;
    private BufferPool pool;
    private GroupBalancer balancer;
    private Registration key;
    private final LoopTimer backoff;
    private boolean closed;
    private final AcceptBudget budget = new AcceptBudget(ACCEPTS_PER_WAKEUP);
    /** The limit this acceptor is parked on, or null; read by releasing threads in {@link #wake}. */
    private volatile ConnectionLimit parkedOn;
    private long parkedSinceMs;
    /**
     * {@link #parkedSinceMs} for other threads while parked, plus {@link #CLOCK_ORIGIN_MS}'s offset so that it is
     * never 0; 0 while accepting. Lets a reader count a pause still going ({@link #pausedForMs}).
     */
    private volatile long pausedSince;

    /** Origin of {@link #pausedSince}: the loops' clock ({@code nanoTime} in ms) at class load. */
    private static final long CLOCK_ORIGIN_MS = System.nanoTime() / 1_000_000L - 1;

    TcpAcceptor(final TcpListener listener, final EventLoop loop, final ListeningSocket socket, final int stripe) {
        this.listener = listener;
        this.loop = loop;
        this.backoff = new LoopTimer(loop, this);
        this.socket = socket;
        this.stripe = stripe;
        this.settings = listener.settings();
        // the buffer pool is the loop's, taken in register(), on the loop: a listener added by a reload is
        // made on the reload's thread, and the loop's pool map has one writer, the loop
        this.balancer = new GroupBalancer(settings.group(), stripe);
    }

    /**
     * An access-log line for a client refused at accept, as nginx logs a {@code deny} or {@code limit_conn}
     * refusal: they were only counted, and an operator auditing refusals from the access log found none (black-box
     * testing, session 35). The metrics say which rule refused it ({@code niolb_listener_rejected_total}).
     */
    private void logRejected(final InetSocketAddress client) {
        final AccessLog accessLog = listener.accessLog();
        if (accessLog.enabled()) {
            accessLog.offer(stripe, new AccessRecord(System.currentTimeMillis(), Protocol.TCP, client,
                listener.name(), balancer.group().name(), null, -1, 0, 0, 0, 0, Termination.REJECTED));
        }
    }

    /** The listener's settings changed (a reload): a new group gets a new balancer, a new buffer size a pool. */
    private void follow(final TcpListener.Settings next) {
        if (next.group() != settings.group()) {
            balancer = new GroupBalancer(next.group(), stripe);
        }
        if (next.options().bufferSize() != settings.options().bufferSize()) {
            pool = loop.bufferPool(next.options().bufferSize());
        }
        settings = next;
    }

    /** Starts watching the listening socket. The loop's thread, or before the loop starts. */
    void register() throws IOException {
        pool = loop.bufferPool(settings.options().bufferSize());
        key = socket.register(loop, Ready.ACCEPT, this);
    }

    EventLoop loop() {
        return loop;
    }

    @Override
    public void onReady(final int readyOps) {
        final ListenerCounters counters = listener.counters();
        final int limit = budget.next();
        for (int i = 0; i < limit && !closed; i++) {
            final TcpListener.Settings current = listener.settings(); // one volatile read per accept
            if (current != settings) {
                follow(current); // before the place is taken: a session gives it back to the limit it came from
            }
            final ConnectionLimit full = listener.reserve(settings);
            if (full != null) {
                park(full);
                return;
            }
            final ListeningSocket.Accepted accepted;
            try {
                accepted = socket.accept();
            } catch (final IOException e) {
                listener.unreserve(settings);
                backOff(e);
                return;
            }
            if (accepted == null) {
                listener.unreserve(settings);
                budget.foundEmpty(limit, i);
                return;
            }
            final StreamSocket client = accepted.socket();
            final InetSocketAddress clientAddress = accepted.peer();
            final InetAddress peer = clientAddress.getAddress();
            // a trusted proxy's connection is judged by the client its PROXY header names, once the session has it
            final boolean proxied = settings.acceptProxy().expectsHeaderFrom(peer);
            final Admission.Verdict verdict = proxied ? Admission.Verdict.OK
                : settings.admission().admit(peer, loop.nowNanos());
            if (verdict != Admission.Verdict.OK) {
                counters.add(stripe, ListenerCounters.rejectedField(verdict), 1);
                client.close(true);
                listener.unreserve(settings);
                logRejected(clientAddress);
                if (LOG.isDebugEnabled()) {
                    LOG.debug("listener {}: refused {}: {}", listener.name(), clientAddress, verdict);
                }
                continue;
            }
            counters.add(stripe, ListenerCounters.ACCEPTED, 1);
            final TcpSession session = new TcpSession(loop, listener, settings, balancer, pool, client, clientAddress,
                stripe).admitted(proxied ? null : peer);
            session.start();
            if (session.waitingForDescriptor()) {
                // it got the last descriptor: accepting more would only take clients out of the backlog to wait
                backOff(null);
                return;
            }
        }
    }

    // ------------------------------------------------------------------------------------------- maxconn

    private void park(final ConnectionLimit full) {
        parkedOn = full; // before park(): a releaser that sees this waiter counted also sees where it waits
        if (!full.park()) {
            parkedOn = null; // room was made meanwhile: go on at the next wake-up
            return;
        }
        parkedSinceMs = loop.nowMs();
        pausedSince = parkedSinceMs - CLOCK_ORIGIN_MS;
        listener.counters().add(stripe, ListenerCounters.MAXCONN_PAUSES, 1);
        listener.noteMaxconn(parkedSinceMs, full);
        updateInterest();
    }

    /**
     * How long this acceptor has not been accepting at a maxconn as of {@code nowMs} ({@code nanoTime} in ms), 0
     * while it accepts. Any thread; read after the listener's counter of ended pauses, never before.
     */
    long pausedForMs(final long nowMs) {
        final long since = pausedSince;
        return since == 0 ? 0 : Math.max(0, nowMs - (since + CLOCK_ORIGIN_MS));
    }

    /** Room was made under the limit this acceptor is parked on. Any thread: hands over to the loop. */
    @Override
    public void wake() {
        if (parkedOn != null) {
            loop.execute(resume);
        }
    }

    /** Loop thread. Idempotent: several releases may each have queued it. */
    private void resume() {
        final ConnectionLimit limit = parkedOn;
        if (limit == null) {
            return;
        }
        parkedOn = null;
        limit.unpark();
        // the pause going on out, then the ended one in: a reader that sees the second sees the first (pausedForMs)
        pausedSince = 0;
        listener.counters().add(stripe, ListenerCounters.MAXCONN_PAUSED_MS, loop.nowMs() - parkedSinceMs);
        updateInterest(); // a client in the backlog makes the socket ready; another loop may take the place first
    }

    // ----------------------------------------------------------------------------------- accept failures

    /** Stops accepting for a while: {@code e} is why accept failed, null when a session found no descriptor. */
    private void backOff(final IOException e) {
        if (e != null) {
            listener.counters().add(stripe, ListenerCounters.ACCEPT_ERRORS, 1);
            listener.warnAcceptFailure(loop.nowMs(), e.getMessage(), BACKOFF_MS);
        }
        backoff.after(BACKOFF_MS);
        updateInterest();
    }

    @Override
    public void onTimeout(final long nowMs) {
        updateInterest();
    }

    private void updateInterest() {
        if (closed || key == null || !key.isValid()) {
            return;
        }
        final boolean accepting = parkedOn == null && !backoff.armed();
        key.interest(accepting ? Ready.ACCEPT : 0);
    }

    @Override
    public void onFailure(final Throwable failure) {
        close();
    }

    /** Stops accepting and closes the listening socket. Loop thread. Idempotent. */
    void close() {
        if (closed) {
            return;
        }
        resume(); // leaves the limit's parked count right
        closed = true;
        backoff.cancel();
        if (key != null) {
            key.cancel();
        }
        socket.close();
        // so that the port refuses connects once stopAccepting returns, not at the loop's next select
        loop.flushClosedChannels();
    }
}
