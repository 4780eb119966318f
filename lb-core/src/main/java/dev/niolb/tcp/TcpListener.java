package dev.niolb.tcp;

import dev.niolb.accesslog.AccessLog;
import dev.niolb.admission.Admission;
import dev.niolb.admission.ConnectionLimit;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Endpoint;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ListenerLimits;
import dev.niolb.config.Sizes;
import dev.niolb.config.TcpOptions;
import dev.niolb.listener.Listener;
import dev.niolb.log.LinePace;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.OnEveryLoop;
import dev.niolb.backend.TargetGroup;
import dev.niolb.transport.ListeningSocket;
import dev.niolb.transport.Sysctl;
import dev.niolb.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * Any thread: made by start or a reload; each of its acceptors runs on its own loop.
 *
 * One TCP listener of the config: a listening socket on every event loop, all bound with {@code SO_REUSEPORT}
 * to the same address so that the kernel spreads new connections over the loops.
 *
 * <p>Threading: built and started by the engine's control thread; each {@link TcpAcceptor} then belongs to its
 * loop. The counters are readable from any thread. What sessions follow (options, timeouts, group, admission,
 * maxconn) is one immutable {@link Settings} behind a volatile reference: a reload replaces it in place, without
 * touching the sockets; each session keeps the settings it was accepted with, so a new timeout applies to new
 * sessions, and a session gives its places back to the limits it took them from. The {@link Admission} and the
 * two {@link ConnectionLimit}s (the listener's maxconn and the process's) are shared by the loops and touched
 * only at accept and close.
 */
public final class TcpListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(TcpListener.class);
    private static final long WARN_INTERVAL_MS = 1000;
    private static final long MAXCONN_NOTE_INTERVAL_MS = 10_000;

    private final ListenerCounters counters;
    private final InetSocketAddress localAddress;
    private final int[] descriptors;
    private final TcpAcceptor[] acceptors;
    private final ConnectionLimit globalLimit;
    private final Transport transport;
    private volatile Settings settings;
    private volatile AccessLog accessLog = AccessLog.OFF;
    // each kind of line at most once an interval per listener, over all loops, and those left out said at its end:
    // a hint, the counters count
    private final LinePace connectWarns = new LinePace(WARN_INTERVAL_MS,
        n -> tail(n, "connect failure", "connect failures"));
    private final LinePace headerWarns = new LinePace(WARN_INTERVAL_MS,
        n -> tail(n, "PROXY header refused", "PROXY headers refused"));
    private final LinePace bufferWarns = new LinePace(WARN_INTERVAL_MS,
        n -> tail(n, "session closed for want of direct memory",
            "sessions closed for want of direct memory"));
    private final LinePace descriptorWarns = new LinePace(WARN_INTERVAL_MS,
        n -> tail(n, "socket to a server not opened for want of descriptors",
            "sockets to a server not opened for want of descriptors"));
    private final LinePace acceptWarns = new LinePace(WARN_INTERVAL_MS,
        n -> tail(n, "accept failure", "accept failures"));
    private final LinePace maxconnNotes = new LinePace(MAXCONN_NOTE_INTERVAL_MS);

    private TcpListener(final ListenerConfig config, final TargetGroup group, final EventLoop[] loops,
                        final List<ListeningSocket> sockets, final ConnectionLimit globalLimit,
                        final Transport transport, final ListenerCounters continued) {
        this.settings = Settings.of(config, group, null);
        warnIfAboveKernelMax(config.name(), config.tcp(), null);
        this.globalLimit = globalLimit;
        this.transport = transport;
        this.counters = continued != null ? continued : new ListenerCounters(loops.length);
        this.localAddress = sockets.getFirst().localAddress();
        this.descriptors = sockets.stream().mapToInt(ListeningSocket::descriptor).filter(fd -> fd >= 0).toArray();
        // one socket per loop; more sockets than loops (adopted from a process that ran more) are spread over the
        // loops, a loop accepting on each of its own. Fewer (one handed over without SO_REUSEPORT, or of another
        // user: Transport#listen) are shared, each watched by several loops, which race for each connection
        this.acceptors = new TcpAcceptor[Math.max(loops.length, sockets.size())];
        for (int i = 0; i < acceptors.length; i++) {
            final int loop = i % loops.length;
            acceptors[i] = new TcpAcceptor(this, loops[loop], sockets.get(i % sockets.size()), loop);
            settings.limit().register(acceptors[i]);
            globalLimit.register(acceptors[i]);
        }
    }

    /**
     * Binds a listening socket per loop through {@code transport} ({@link Transport#listen}: a probe bind first,
     * then one {@code SO_REUSEPORT} socket per loop). Fails with a {@link BindException} naming the address when
     * another socket (in this process or any other) already listens there. The listener's sessions open their
     * server sockets through the same transport.
     */
    public static TcpListener bind(final ListenerConfig config, final TargetGroup group, final EventLoop[] loops,
                                   final ConnectionLimit globalLimit, final Transport transport) throws IOException {
        return bind(config, group, loops, globalLimit, transport, null);
    }

    /**
     * As {@link #bind(ListenerConfig, TargetGroup, EventLoop[], ConnectionLimit, Transport)}, counting on in
     * {@code continued}, the counters of the listener of the same name this one replaces (null: new ones). Its
     * sessions go on counting there too, each on its own loop's stripe, as this listener's do: one name, one
     * count, as a server re-added by name keeps its counters.
     */
    public static TcpListener bind(final ListenerConfig config, final TargetGroup group, final EventLoop[] loops,
                                   final ConnectionLimit globalLimit, final Transport transport,
                                   final ListenerCounters continued) throws IOException {
        if (continued != null && continued.stripes() != loops.length) {
            throw new IllegalArgumentException("counters of " + continued.stripes() + " loops for " + loops.length);
        }
        final List<ListeningSocket> sockets;
        try {
            sockets = transport.listen(config.bind(), config.tcp().backlog(), loops.length,
                config.tcp().deferAccept());
        } catch (final BindException e) {
            throw bindFailure(config, e);
        }
        return new TcpListener(config, group, loops, sockets, globalLimit, transport, continued);
    }

    private static BindException bindFailure(final ListenerConfig config, final BindException cause) {
        final String why = cause.getMessage() == null ? "cannot bind" : cause.getMessage().toLowerCase(java.util.Locale.ROOT);
        final BindException e = new BindException("cannot listen on " + Endpoint.hostPort(config.bind()) + ": " + why);
        e.initCause(cause);
        return e;
    }

    /**
     * What the listener's sessions follow: its config (options, timeouts), the group they go to, the timeouts in
     * milliseconds, who is admitted ({@link Admission}: access list, per-source limits) and the listener's
     * maxconn. A session keeps the one it was accepted with, and gives its places back to that admission and limit.
     */
    public record Settings(ListenerConfig config, TargetGroup group, long connectTimeoutMs, long idleTimeoutMs,
                           long maxAgeMs, long headerTimeoutMs, Admission admission, ConnectionLimit limit) {
        /**
         * The settings {@code config} describes. The admission and the limit of {@code previous} are kept when the
         * limits they were made from did not change, so that a reload that changes a timeout neither forgets the
         * per-source counts nor loses the count of connections open.
         */
        static Settings of(final ListenerConfig config, final TargetGroup group, final Settings previous) {
            final ListenerLimits l = config.limits();
            final ListenerLimits was = previous == null ? null : previous.config().limits();
            final Admission admission = was != null && was.sameAdmission(l) ? previous.admission()
                : l.admission(previous == null ? null : previous.admission());
            final ConnectionLimit limit;
            if (was != null && was.maxconn() == l.maxconn()) {
                limit = previous.limit();
            } else if (was != null && was.maxconn() > 0 && l.maxconn() > 0) {
                // the same count under a new cap: lowered during a flood, it admits nobody until enough have left
                limit = previous.limit();
                limit.resize(l.maxconn());
            } else {
                limit = new ConnectionLimit(l.maxconn()); // a cap where there was none counts from now
            }
            return new Settings(config, group, Math.max(1, config.tcp().connectTimeout().toMillis()),
                config.tcp().idleTimeout().toMillis(), config.tcp().maxConnectionAge().toMillis(),
                Math.max(1, config.acceptProxy().headerTimeout().toMillis()), admission, limit);
        }

        /** Whether and from whom a PROXY protocol header is read. */
        public AcceptProxy acceptProxy() {
            return config.acceptProxy();
        }

        public TcpOptions options() {
            return config.tcp();
        }
    }

    /** Registers every acceptor with its loop's selector. Before the loops start. */
    @Override
    public void register() throws IOException {
        for (final TcpAcceptor acceptor : acceptors) {
            acceptor.register();
        }
    }

    /**
     * Registers every acceptor with its loop's selector on the loop itself, for a listener added while the loops
     * run (a reload). Waits up to {@code timeoutMs}.
     *
     * @throws IOException when a loop could not register its socket
     */
    @Override
    public void registerOnLoops(final long timeoutMs) throws IOException {
        try {
            OnEveryLoop.run(acceptors, TcpAcceptor::loop, TcpAcceptor::register, timeoutMs);
        } catch (final IOException e) {
            throw new IOException("listener " + name() + ": could not start accepting on every loop: "
                + e.getMessage(), e);
        }
    }

    /**
     * New settings for new sessions (a reload): options, timeouts, the group, access list and limits. The socket
     * stays as it is, so the protocol, bind address and backlog cannot change here. Sessions open now keep
     * theirs: a new access list judges new clients. A new maxconn applies to the same count of open connections
     * (see {@link ConnectionLimit#resize}); only a cap where there was none counts from the reload on. Any thread.
     */
    @Override
    public void reconfigure(final ListenerConfig next, final TargetGroup group) {
        final Settings before = settings;
        final ListenerConfig now = before.config();
        if (next.protocol() != now.protocol() || !next.bind().equals(now.bind())) {
            throw new IllegalArgumentException("listener " + now.name() + ": protocol and bind address are its socket's,"
                + " a reload replaces the listener to change them");
        }
        final Settings after = Settings.of(next, group, before);
        warnIfAboveKernelMax(next.name(), next.tcp(), now.tcp());
        if (after.limit() != before.limit()) {
            for (final TcpAcceptor acceptor : acceptors) {
                after.limit().register(acceptor);
            }
        }
        settings = after;
        if (after.limit() != before.limit()) {
            for (final TcpAcceptor acceptor : acceptors) {
                before.limit().unregister(acceptor);
                acceptor.wake(); // one parked on the old cap tries again under the new one
            }
        }
    }

    @Override
    public int[] descriptors() {
        return descriptors.clone();
    }

    /** How the listener's sockets, and its sessions' server sockets, do their I/O. */
    Transport transport() {
        return transport;
    }

    /**
     * A socket buffer asked above {@code net.core.rmem_max} or {@code wmem_max} is silently cut to it by the kernel:
     * said once at the start, and at a reload that changes the size, with the {@code sysctl} that allows it.
     */
    private static void warnIfAboveKernelMax(final String name, final TcpOptions next, final TcpOptions before) {
        warnIfAboveKernelMax(name, "tcp-rcvbuf", next.receiveBuffer(), before == null ? 0 : before.receiveBuffer(),
            "net.core.rmem_max", Sysctl.RMEM_MAX);
        warnIfAboveKernelMax(name, "tcp-sndbuf", next.sendBuffer(), before == null ? 0 : before.sendBuffer(),
            "net.core.wmem_max", Sysctl.WMEM_MAX);
    }

    private static void warnIfAboveKernelMax(final String name, final String key, final int asked, final int before,
                                             final String sysctl, final Path file) {
        if (asked == 0 || asked == before) {
            return;
        }
        final int max = Sysctl.read(file);
        if (max > 0 && asked > max) {
            LOG.warn("listener {}: {} {} is more than the kernel allows: each socket gets {}; raise {} (sysctl -w {}={})",
                name, key, Sizes.format(asked), Sizes.format(max), sysctl, sysctl, asked);
        }
    }

    /** What new sessions follow now. */
    public Settings settings() {
        return settings;
    }

    /**
     * Stops accepting on every loop and closes the listening sockets; sessions in flight go on.
     * Waits up to {@code timeoutMs} for the loops to have done it.
     */
    @Override
    public void stopAccepting(final long timeoutMs) {
        for (final TcpAcceptor acceptor : acceptors) {
            settings.limit().unregister(acceptor);
            globalLimit.unregister(acceptor);
        }
        try {
            OnEveryLoop.run(acceptors, TcpAcceptor::loop, TcpAcceptor::close, timeoutMs);
        } catch (final IOException e) {
            LOG.debug("listener {}: not every loop confirmed it stopped accepting: {}", name(), e.getMessage());
        }
    }

    /** A reload removes it: as {@link #stopAccepting}; its sessions finish on their loops. */
    @Override
    public void retire(final long timeoutMs) {
        stopAccepting(timeoutMs);
    }

    /** A failed start: its loops never ran, so nothing waits for them. */
    @Override
    public void closeUnstarted() {
        stopAccepting(0);
    }

    @Override
    public String name() {
        return settings.config().name();
    }

    @Override
    public ListenerConfig config() {
        return settings.config();
    }

    public TcpOptions options() {
        return settings.options();
    }

    @Override
    public TargetGroup group() {
        return settings.group();
    }

    @Override
    public ListenerCounters counters() {
        return counters;
    }

    /**
     * Milliseconds this listener's loops spent not accepting at a maxconn, summed over loops, pauses still going
     * included: a pause of an hour reads as an hour while it lasts, not 0 until it ends and an hour at once (the
     * dashboard graphs its rate). The ended pauses first, then each acceptor's pause going on: an acceptor that
     * resumes clears the second before it adds to the first, so no pause is counted twice. Any thread.
     */
    public long maxconnPausedMs() {
        final long nowMs = System.nanoTime() / 1_000_000L;
        long total = counters.maxconnPausesEndedMs();
        for (final TcpAcceptor acceptor : acceptors) {
            total += acceptor.pausedForMs(nowMs);
        }
        return counters.notBelowBefore(total);
    }

    /** Where closed sessions are logged; {@link AccessLog#OFF} unless the engine sets one. */
    public AccessLog accessLog() {
        return accessLog;
    }

    /** Sets the access log, before {@link #register()} (later sessions see it; one volatile read per close). */
    @Override
    public void accessLog(final AccessLog log) {
        this.accessLog = java.util.Objects.requireNonNull(log, "log");
    }

    /** Who this listener admits now (new sessions): access list and per-source limits. */
    public Admission admission() {
        return settings.admission();
    }

    /** The listener's own maxconn now (unlimited without one). */
    public ConnectionLimit limit() {
        return settings.limit();
    }

    /**
     * Takes a place for one more connection under {@code s}'s maxconn and then the process's. Any loop.
     *
     * @return null when both had room (the place is taken), else the limit that is full (nothing is taken)
     */
    ConnectionLimit reserve(final Settings s) {
        if (!s.limit().tryAcquire()) {
            return s.limit();
        }
        if (!globalLimit.tryAcquire()) {
            s.limit().release();
            return globalLimit;
        }
        return null;
    }

    /** Gives back a place taken by {@link #reserve} with the same settings. */
    void unreserve(final Settings s) {
        globalLimit.release();
        s.limit().release();
    }

    /**
     * A connection accepted with {@code s} has closed: gives back its maxconn places and, if it was admitted with
     * a source ({@code source} not null), its place in that admission's per-source count.
     */
    void ended(final Settings s, final InetAddress source) {
        if (source != null) {
            s.admission().release(source);
        }
        unreserve(s);
    }

    /** A loop stopped accepting at maxconn: logged at INFO at most once every ten seconds per listener. */
    void noteMaxconn(final long nowMs, final ConnectionLimit full) {
        if (!maxconnNotes.due(nowMs)) {
            return;
        }
        LOG.info("listener {}: {} maxconn {} reached; new clients wait in the backlog until a connection ends",
            name(), full == globalLimit ? "the global" : "its", full.max());
    }

    /** The bound address; an ephemeral port is resolved. */
    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** Whether and from whom a PROXY protocol header is read (for new sessions). */
    public AcceptProxy acceptProxy() {
        return settings.config().acceptProxy();
    }

    @Override
    public void flushPacedLines() {
        for (final LinePace pace : new LinePace[] {connectWarns, headerWarns, bufferWarns, descriptorWarns,
            acceptWarns}) {
            pace.flush();
        }
    }

    /** Those of a paced kind of line left out since the last one, said when its second ends. */
    private void tail(final long count, final String one, final String many) {
        LOG.warn("listener {}: {} more {} since the last one logged, not logged one by one", name(), count,
            count == 1 ? one : many);
    }

    /** A refused PROXY header is logged at WARN at most once a second per listener: a hint; the counters count. */
    void warnProxyHeader(final long nowMs, final InetSocketAddress peer, final String why) {
        if (headerWarns.due(nowMs)) {
            // the count, as every other paced line says it: a storm's size read from the log (session 32)
            LOG.warn("listener {}: closed {}: PROXY protocol header refused: {}{}", name(), Endpoint.hostPort(peer),
                why, headerWarns.leftOutSaid(""));
        }
    }

    /** Out of direct memory for relay buffers: logged at WARN at most once a second per listener. */
    void warnNoBuffer(final long nowMs) {
        if (bufferWarns.due(nowMs)) {
            LOG.warn("listener {}: out of direct memory for relay buffers; closing sessions that need one"
                + " (raise -XX:MaxDirectMemorySize or lower --buffer-size){}", name(), bufferWarns.leftOutSaid(""));
        }
    }

    /**
     * A failed accept (out of descriptors: EMFILE, ENFILE) is logged at WARN at most once a second per listener;
     * each loop retries every {@code backoffMs} while it lasts, and {@link ListenerCounters#ACCEPT_ERRORS} counts them all.
     */
    void warnAcceptFailure(final long nowMs, final String why, final long backoffMs) {
        if (acceptWarns.due(nowMs)) {
            LOG.warn("listener {}: accept failed: {}; accepting again every {} ms while it lasts, new clients wait in"
                + " the backlog{}", name(), why, backoffMs, acceptWarns.leftOutSaid("failures"));
        }
    }

    /** Out of descriptors for server sockets: logged at WARN at most once a second per listener. */
    void warnNoDescriptor(final long nowMs, final String why) {
        if (descriptorWarns.due(nowMs)) {
            LOG.warn("listener {}: cannot open a socket to a server: {}; clients wait (up to the connect timeout)"
                + " while new ones stay in the backlog (raise the open-file limit, ulimit -n){}", name(), why,
                descriptorWarns.leftOutSaid("failures"));
        }
    }

    /**
     * A failed connect is logged at WARN at most once a second per listener, with how many were not logged,
     * so that a dead server under load cannot flood the log; {@code trying} names the server tried next, null
     * when none is.
     */
    void warnConnectFailure(final long nowMs, final String server, final String why, final String trying) {
        if (connectWarns.due(nowMs)) {
            LOG.warn("listener {}: connect to server {} failed: {}{}{}", name(), server, why,
                trying != null ? "; trying " + trying : "; giving up on this client",
                connectWarns.leftOutSaid("failures"));
        }
    }
}
