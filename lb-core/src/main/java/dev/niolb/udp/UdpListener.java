package dev.niolb.udp;

import dev.niolb.accesslog.AccessLog;
import dev.niolb.admission.Admission;
import dev.niolb.admission.OpenFileLimit;
import dev.niolb.config.Endpoint;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Sizes;
import dev.niolb.config.UdpOptions;
import dev.niolb.listener.Listener;
import dev.niolb.log.LinePace;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.OnEveryLoop;
import dev.niolb.backend.TargetGroup;
import dev.niolb.transport.DatagramSocket;
import dev.niolb.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Any thread: made by start or a reload; each of its receivers runs on its own loop.
 *
 * One UDP listener of the config: a socket on every event loop, all bound with {@code SO_REUSEPORT} to the same
 * address. The kernel picks the socket for a datagram by hashing its addresses, so every datagram of one client
 * address lands on the same loop, which keeps that client's flow in its own table without sharing anything.
 *
 * <p>Threading: built and started by the engine's control thread; each {@link UdpReceiver} then belongs to its
 * loop. The counters and {@link #maxFlows()} are readable from any thread. Config and group are one immutable
 * {@link Settings} behind a volatile reference that a reload replaces in place; a new group takes new flows,
 * flows in flight take a new idle timeout at their next timer.
 */
public final class UdpListener implements Listener {
    private static final Logger LOG = LoggerFactory.getLogger(UdpListener.class);
    private static final long WARN_INTERVAL_MS = 1000;

    private final UdpListenerCounters counters;
    private volatile EngineAddresses engineAddresses = (peer, receivedAt) -> false;
    private final InetSocketAddress localAddress;
    private volatile int[] descriptors;
    private final UdpReceiver[] receivers;
    private final Transport transport;
    private volatile Settings settings;
    /** What the UDP listeners of the engine at the default flow cap share (see {@link #shareAutoFlows}). */
    private volatile FlowShare autoShare = FlowShare.ALONE;
    /** The kernel's drops on this address when the listener took its sockets (see {@link #kernelDrops}). */
    private final long kernelDropsBefore;
    private volatile AccessLog accessLog = AccessLog.OFF;
    /** Its warnings, over all loops: at most one a second, saying how many were left out. */
    private final LinePace warnings = new LinePace(WARN_INTERVAL_MS,
        n -> LOG.warn("listener {}: {} more {} since the last one logged, not logged one by one", name(), n,
            n == 1 ? "warning" : "warnings"));

    private UdpListener(final ListenerConfig config, final TargetGroup group, final EventLoop[] loops,
                        final List<DatagramSocket> sockets, final Transport transport, final UdpListener continued)
        throws IOException {
        this.settings = Settings.of(config, group, null, FlowShare.ALONE);
        this.transport = transport;
        this.counters = continued != null ? continued.counters : new UdpListenerCounters(loops.length);
        this.localAddress = sockets.getFirst().localAddress();
        // sockets adopted from the niolb before (a takeover, systemd's store) bring its drops: they are its, not ours
        final KernelUdp kernel = KernelUdp.read();
        this.kernelDropsBefore = kernel == null ? 0 : kernel.drops(localAddress)
            // the listener this one continues has counted its own so far: they go on from there
            - (continued != null ? continued.kernelDrops(kernel) : 0);
        // without SO_REUSEPORT there is one socket, and only the first loop has it (see Transport#bindDatagram)
        this.receivers = new UdpReceiver[sockets.size()];
        for (int i = 0; i < receivers.length; i++) {
            // more sockets than loops (adopted from a process that ran more) are spread over the loops
            receivers[i] = new UdpReceiver(this, loops[i % loops.length], sockets.get(i));
        }
        this.descriptors = openDescriptors();
        final int asked = config.udp().receiveBuffer();
        if (asked > 0) {
            int got = Integer.MAX_VALUE;
            for (final UdpReceiver r : receivers) {
                got = Math.min(got, r.receiveBuffer(asked));
            }
            warnIfCapped(config.name(), asked, got);
        }
    }

    /**
     * Where the kernel gave less room than asked (Linux: {@code net.core.rmem_max}), a warning that says how to
     * raise it: otherwise a burst the operator sized the buffer for is dropped, counted only as kernel drops.
     */
    private static void warnIfCapped(final String name, final int asked, final int granted) {
        if (granted < asked) {
            LOG.warn("listener {}: udp-rcvbuf {} is more than the kernel allows: each socket got {}; raise "
                + "net.core.rmem_max (sysctl -w net.core.rmem_max={})", name, Sizes.format(asked),
                Sizes.format(granted), asked);
        }
    }

    /**
     * Datagrams the kernel dropped on this listener's sockets since it took them, as {@code kernel} reads them: a
     * successor that adopted its sockets from the niolb before starts at 0, as every other count of it does
     * (session 21: it showed the old process's drops at once, a false spike in a rate). A listener that replaced
     * another of its name at another address starts where that one's stood, as its counters go on in that one's.
     */
    public long kernelDrops(final KernelUdp kernel) {
        return Math.max(0, kernel.drops(localAddress) - kernelDropsBefore);
    }

    /** The descriptors of the receivers' sockets that are open (none on NIO). Loops confirmed, or before they run. */
    private int[] openDescriptors() {
        return Arrays.stream(receivers).mapToInt(UdpReceiver::descriptor).filter(fd -> fd >= 0).toArray();
    }

    @Override
    public int[] descriptors() {
        return descriptors.clone();
    }

    /** How the listener's sockets, and its flows' sockets to servers, do their I/O. */
    public Transport transport() {
        return transport;
    }

    /**
     * What else a new flow must not be opened for, beyond the listener's own group and address (which are always
     * refused): the engine's other groups and listeners, once the engine is built. Any thread; read per new flow.
     */
    public void engineAddresses(final EngineAddresses addresses) {
        this.engineAddresses = addresses;
    }

    EngineAddresses engineAddresses() {
        return engineAddresses;
    }

    /**
     * Whether {@code peer} is this listener's own address: its bound one, or, bound to a wildcard, any of the host's
     * addresses at its port ({@code receivedAt}: where a datagram came in, when the transport can tell; else null).
     * A flow for it would send replies to this listener. Once per new flow: a lookup of the host's addresses only
     * for a peer at this port.
     */
    public boolean isAddressOf(final InetSocketAddress peer, final InetAddress receivedAt) {
        final InetSocketAddress bound = localAddress();
        return bound != null && peer.getPort() == bound.getPort() && (peer.getAddress().equals(bound.getAddress())
            || bound.getAddress().isAnyLocalAddress() && (peer.getAddress().equals(receivedAt)
                || dev.niolb.transport.LocalAddresses.HOST.isLocal(peer.getAddress())));
    }

    /**
     * Binds a socket per loop. Fails with a {@link BindException} naming the address when another UDP socket (in
     * this process or any other) is bound there: a probe bind without {@code SO_REUSEPORT} comes first, because a
     * plain {@code SO_REUSEPORT} bind would silently share the port with another niolb and take half its clients.
     * A TCP listener on the same port number is no conflict: the two protocols have separate ports.
     */
    public static UdpListener bind(final ListenerConfig config, final TargetGroup group, final EventLoop[] loops,
                                   final Transport transport) throws IOException {
        return bind(config, group, loops, transport, null);
    }

    /**
     * As {@link #bind(ListenerConfig, TargetGroup, EventLoop[], Transport)}, counting on in the counters of
     * {@code continued}, the listener of the same name this one replaces at another address (null: new ones).
     */
    public static UdpListener bind(final ListenerConfig config, final TargetGroup group, final EventLoop[] loops,
                                   final Transport transport, final UdpListener continued) throws IOException {
        final List<DatagramSocket> sockets;
        try {
            sockets = transport.bindDatagram(config.bind(), loops.length);
        } catch (final BindException e) {
            throw bindFailure(config, e);
        }
        if (config.bind().getAddress().isAnyLocalAddress() && !transport.answersFromDestination()) {
            // documented, but a start that said nothing left a broken deployment silent (black-box testing,
            // session 29: replies from 127.0.0.1 to a client that wrote to 127.0.0.7)
            LOG.warn("listener {}: a wildcard address on the {} transport, which cannot choose a reply's source: a "
                + "client that wrote to another of this host's addresses than the route's gets replies from the wrong "
                + "one, which resolvers drop; bind each address, or use the epoll transport", config.name(),
                transport.name());
        }
        return new UdpListener(config, group, loops, sockets, transport, continued);
    }

    private static BindException bindFailure(final ListenerConfig config, final BindException cause) {
        final String why = cause.getMessage() == null ? "cannot bind" : cause.getMessage().toLowerCase(Locale.ROOT);
        final BindException e = new BindException("cannot listen on udp://" + Endpoint.hostPort(config.bind()) + ": "
            + why);
        e.initCause(cause);
        return e;
    }

    /**
     * What the UDP listeners at the default flow cap share: half the process's open-file limit less
     * {@link OpenFileLimit#RESERVE} (each flow holds one descriptor, and TCP sessions, two each, need room too), less
     * the caps set by hand on the others.
     *
     * @param listeners the UDP listeners at the default
     * @param handSet   the flow caps set by hand on the other UDP listeners, summed
     */
    public record FlowShare(int listeners, long handSet) {
        static final FlowShare ALONE = new FlowShare(1, 0);

        /**
         * Each one's cap: at least 64. A cap set by hand beside the default was added on top of half the limit, and
         * a config of one default and one small cap warned that the caps need more than the limit (black-box
         * testing, session 34).
         */
        int maxFlows() {
            final long limit = OpenFileLimit.limit();
            final long half = ((limit > 0 ? limit : 4096) - OpenFileLimit.RESERVE) / 2;
            return (int) Math.clamp((half - handSet) / Math.max(1, listeners), 64, UdpOptions.MAX_FLOWS);
        }
    }

    /**
     * The engine has {@code listeners} UDP listeners at the default flow cap (this one among them, when it is at
     * the default): they share it. Each had all of it, so two (a DNS front on IPv4 and IPv6) were promised every
     * descriptor the TCP sessions were to have, and a config of defaults warned to lower them (black-box testing,
     * session 28). The engine's control thread, after a start or a reload binds its listeners.
     */
    public void shareAutoFlows(final FlowShare share) {
        if (!share.equals(autoShare)) {
            autoShare = share;
            final Settings now = settings;
            settings = Settings.of(now.config(), now.group(), now, share);
        }
    }

    /**
     * The listener's config and group, and what follows from them; replaced whole by a reload. A flow keeps the
     * {@link Admission} it was admitted by and gives its per-source place back to that one.
     */
    record Settings(ListenerConfig config, TargetGroup group, long idleTimeoutMs, int maxFlows, Admission admission) {
        /**
         * The settings {@code config} describes. The admission of {@code previous} is kept when the limits it was
         * made from did not change, so that a reload that changes a timeout does not forget per-source counts.
         */
        static Settings of(final ListenerConfig config, final TargetGroup group, final Settings previous,
                           final FlowShare autoShare) {
            final Admission admission = previous != null && previous.config().limits().sameAdmission(config.limits())
                ? previous.admission() : config.limits().admission(previous == null ? null : previous.admission());
            return new Settings(config, group, Math.max(1, config.udp().idleTimeout().toMillis()),
                config.udp().maxFlows() > 0 ? config.udp().maxFlows() : autoShare.maxFlows(), admission);
        }
    }

    Settings settings() {
        return settings;
    }

    /**
     * New settings (a reload): new flows go to {@code group} with the new options. The sockets stay, so the bind
     * address cannot change here. Any thread.
     */
    @Override
    public void reconfigure(final ListenerConfig next, final TargetGroup group) {
        final ListenerConfig now = settings.config();
        if (next.protocol() != now.protocol() || !next.bind().equals(now.bind())) {
            throw new IllegalArgumentException("listener " + now.name() + ": protocol and bind address are its socket's,"
                + " a reload replaces the listener to change them");
        }
        final int before = settings.config().udp().receiveBuffer();
        settings = Settings.of(next, group, settings, autoShare);
        final int asked = next.udp().receiveBuffer();
        if (asked != before) {
            // back to 0: the kernel's default, which a new socket gets as it is and SO_RCVBUF would double
            resizeReceiveBuffers(next.name(), asked > 0 ? asked : KernelUdp.defaultReceiveBuffer() / 2);
        }
    }

    /** Sets every socket's receive buffer on its own loop (the sockets are the loops'), and checks what it got. */
    private void resizeReceiveBuffers(final String name, final int bytes) {
        if (bytes <= 0) {
            return; // the kernel's default is unknown here: the sockets keep the size they have
        }
        final AtomicInteger got = new AtomicInteger(Integer.MAX_VALUE);
        try {
            OnEveryLoop.run(receivers, UdpReceiver::loop, r -> got.accumulateAndGet(r.receiveBuffer(bytes), Math::min),
                1000);
            warnIfCapped(name, bytes, got.get());
        } catch (final IOException e) {
            LOG.warn("listener {}: could not set udp-rcvbuf {}: {}", name, Sizes.format(bytes), e.getMessage());
        }
    }

    /**
     * Registers every receiver on its own loop, for a listener added while the loops run (a reload). Waits up
     * to {@code timeoutMs}.
     *
     * @throws IOException when a loop could not register its socket
     */
    @Override
    public void registerOnLoops(final long timeoutMs) throws IOException {
        try {
            OnEveryLoop.run(receivers, UdpReceiver::loop, UdpReceiver::register, timeoutMs);
        } catch (final IOException e) {
            throw new IOException("listener " + name() + ": could not start receiving on every loop: "
                + e.getMessage(), e);
        }
    }

    /**
     * The listener leaves the config (a reload): no new flows, and each loop closes its socket as soon as its
     * last flow has ended (replies leave from that socket until then). Does not wait.
     */
    public void retire() {
        for (final UdpReceiver receiver : receivers) {
            receiver.loop().execute(receiver::retire);
        }
    }

    /**
     * A reload adds this retired listener back ({@code next}, at the same address) while flows of its own still
     * live: the loops whose sockets are still open open flows again, its flows go on, and the address is not "in
     * use" by itself. A loop that had closed its socket (its flows had all ended) stays out: binding it a new one
     * would change how the kernel spreads clients over the sockets, and move live flows' clients to other loops,
     * where their next datagrams would open new flows to other servers. A restart gives every loop a socket again.
     * False, and nothing changed, when every loop had closed its socket: the listener is then bound afresh. Waits up
     * to {@code timeoutMs}.
     *
     * @throws IOException when a loop did not answer; the listener is then retired again, as it was
     */
    public boolean takeBack(final ListenerConfig next, final TargetGroup group, final long timeoutMs)
        throws IOException {
        final AtomicInteger open = new AtomicInteger();
        try {
            OnEveryLoop.run(receivers, UdpReceiver::loop, r -> {
                if (r.takeBack()) {
                    open.incrementAndGet();
                }
            }, timeoutMs);
        } catch (final IOException e) {
            retire();
            throw e;
        }
        if (open.get() == 0) {
            return false;
        }
        reconfigure(next, group);
        descriptors = openDescriptors();
        if (open.get() < receivers.length) {
            LOG.warn("listener {}: added back while {} flow(s) from before its removal lived: it keeps their sockets,"
                + " so {} of its {} loops serve it until a restart", next.name(), counters.active(), open.get(),
                receivers.length);
        } else {
            LOG.info("listener {}: added back while {} flow(s) from before its removal lived: it keeps its sockets"
                + " and flows", next.name(), counters.active());
        }
        return true;
    }

    /**
     * A retired listener's flows keep its sockets open until the last of them ends: until then the engine must keep
     * it (to take it back, or to end its flows before a takeover), even when a listener of its name that moved
     * elsewhere counts its flows. Any thread.
     */
    @Override
    public boolean holdsSockets() {
        for (final UdpReceiver r : receivers) {
            if (!r.socketClosed()) {
                return true;
            }
        }
        return false;
    }

    /** As {@link #retire()}, which does not wait: {@code timeoutMs} has nothing to bound. */
    @Override
    public void retire(final long timeoutMs) {
        retire();
    }

    /** Registers every receiver with its loop's selector. Before the loops start. */
    @Override
    public void register() throws IOException {
        for (final UdpReceiver receiver : receivers) {
            receiver.register();
        }
    }

    /**
     * Stops creating flows on every loop: datagrams from new clients are dropped and counted, flows in flight go
     * on (their replies still leave from the listener's sockets), until they end or the engine stops.
     * Waits up to {@code timeoutMs} for the loops to have done it.
     */
    @Override
    public void stopAccepting(final long timeoutMs) {
        onEveryReceiver(UdpReceiver::stopAccepting, "stopped accepting", timeoutMs);
    }

    /**
     * A listener a reload removed, whose flows kept its sockets open: ends those flows now, so that the sockets
     * close and a takeover's successor can bind the address again (black-box testing, session 30: "address already
     * in use" when its config had the listener back). Waits up to {@code timeoutMs} for the loops.
     *
     * @return the flows ended
     */
    public int endRetiringFlows(final long timeoutMs) {
        final java.util.concurrent.atomic.AtomicInteger ended = new java.util.concurrent.atomic.AtomicInteger();
        onEveryReceiver(r -> ended.addAndGet(r.endRetiringFlows()), "ended its flows", timeoutMs);
        return ended.get();
    }

    /** Stops reading on every loop: a successor reads every datagram from now on; flows here still reply. */
    @Override
    public void handOver(final long timeoutMs) {
        onEveryReceiver(UdpReceiver::handOver, "handed over", timeoutMs);
    }

    private void onEveryReceiver(final OnEveryLoop.Action<UdpReceiver> action, final String done,
                                 final long timeoutMs) {
        try {
            OnEveryLoop.run(receivers, UdpReceiver::loop, action, timeoutMs);
        } catch (final IOException e) {
            LOG.debug("listener {}: not every loop confirmed it {}: {}", name(), done, e.getMessage());
        }
    }

    /** Closes the sockets of a listener whose loops never started (a failed start). */
    @Override
    public void closeUnstarted() {
        for (final UdpReceiver receiver : receivers) {
            receiver.closeSocket();
        }
    }

    @Override
    public String name() {
        return settings.config().name();
    }

    @Override
    public ListenerConfig config() {
        return settings.config();
    }

    public UdpOptions options() {
        return settings.config().udp();
    }

    @Override
    public TargetGroup group() {
        return settings.group();
    }

    @Override
    public UdpListenerCounters counters() {
        return counters;
    }

    /** Where ended flows are logged; {@link AccessLog#OFF} unless the engine sets one. */
    public AccessLog accessLog() {
        return accessLog;
    }

    /** Sets the access log, before {@link #register()} (later flows see it; one volatile read per flow end). */
    @Override
    public void accessLog(final AccessLog log) {
        this.accessLog = java.util.Objects.requireNonNull(log, "log");
    }

    /** The bound address; an ephemeral port is resolved. */
    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /**
     * Who may open a flow: the access list, then the per-source limits ({@code source-maxconn}: flows open at
     * once per client IP; {@code source-rate}: new flows per client IP), the very {@link Admission} and
     * {@link dev.niolb.admission.SourceTable} a TCP listener uses. Asked only when a datagram would open a flow: a
     * refused datagram is dropped and counted ({@link UdpListenerCounters#droppedField}); datagrams of existing
     * flows pay nothing. ({@code udp-max-flows} caps the listener's flows; the listener maxconn is TCP's.)
     */
    public Admission admission() {
        return settings.admission();
    }

    /** The flow cap in force: the configured one, or the one sized to the open-file limit. */
    public int maxFlows() {
        return settings.maxFlows();
    }

    long idleTimeoutMs() {
        return settings.idleTimeoutMs();
    }

    /**
     * Whether a warning may be logged now ({@link #warnNow}): at most one a second per listener, so that a dead
     * server under a flood of datagrams cannot flood the log; when not, it is counted as left out. The caller builds
     * its text only when it may: one of a flood of datagrams builds nothing.
     */
    @Override
    public void flushPacedLines() {
        warnings.flush();
    }

    boolean warnDue(final long nowMs) {
        return warnings.due(nowMs);
    }

    /** Logs a warning {@link #warnDue} allowed, with how many were left out since the last. */
    void warnNow(final String message) {
        LOG.warn("listener {}: {}{}", name(), message, warnings.leftOutSaid(""));
    }
}
