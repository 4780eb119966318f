package dev.niolb;

import dev.niolb.accesslog.AccessLog;
import dev.niolb.admission.ConnectionLimit;
import dev.niolb.admission.OpenFileLimit;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.DnsServerSpec;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TransportChoice;
import dev.niolb.config.file.ConfigSource;
import dev.niolb.dns.DnsDiscovery;
import dev.niolb.engine.ListenerBinder;
import dev.niolb.engine.RunningState;
import dev.niolb.health.HealthChecker;
import dev.niolb.listener.Listener;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.SessionDrain;
import dev.niolb.session.SessionInfo;
import dev.niolb.reload.ReloadCounters;
import dev.niolb.reload.ReloadResult;
import dev.niolb.tcp.TcpListener;
import dev.niolb.backend.OperatorStates;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.backend.TargetGroup;
import dev.niolb.udp.UdpListener;
import dev.niolb.transport.Transport;
import dev.niolb.transport.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * Any thread: start, reload and stop serialise under one lock; queries and membership changes need none.
 *
 * <p>The engine's front door: {@link #start(Config)}, {@link #reload(Config)}, then {@link #stop(Duration)}. Each
 * event loop runs on its own thread and owns its listening sockets and sessions; this class only starts, changes,
 * queries and stops them. What a reload replaces (config, groups, listeners) is one {@link RunningState} behind
 * one volatile field, written once at the end of the start and of each reload: a query that reads
 * {@link #running()} once sees the state before or after a reload, never half of it. The admin API is not started
 * here: the composition root ({@code niolb run}; tests through the admin package) starts it for this engine and
 * {@link #attachAdmin attaches} it, so that it stops with the engine.
 */
public final class LoadBalancer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LoadBalancer.class);
    static final long LOOP_STOP_TIMEOUT_MS = 5_000;
    private static final long QUERY_TIMEOUT_MS = 2_000;

    // written at the end of the start and of each reload (under stopLock), read by anyone: one snapshot
    private volatile RunningState state;
    final EventLoop[] loops;
    final HealthChecker health;
    final DnsDiscovery dns;
    final ConnectionLimit maxconn;
    /** Serialises sizing {@link #maxconn} again from the admin API's threads and DNS lookups. */
    private final Object maxconnLock = new Object();
    private final ReloadCounters reloads = new ReloadCounters();
    private final Object stopLock = new Object();
    private final long startNanos = System.nanoTime();
    private AccessLog accessLog = AccessLog.OFF;
    volatile OperatorStates operatorStates = OperatorStates.NONE; // Reconfiguration's new groups hook it too
    private final OperatorChanges operatorChanges = new OperatorChanges();
    // the admin API the composition root attached: closed last at stop
    private volatile InetSocketAddress adminAddress;
    private volatile AutoCloseable admin;
    // the metrics-only listener the composition root attached, if any: closed with the admin API
    private volatile InetSocketAddress metricsAddress;
    private volatile AutoCloseable metrics;
    private volatile ConfigSource configSource;
    private volatile boolean stopping;
    private volatile boolean withdrawn;
    private Boolean stopResult;
    private final String transport;

    private LoadBalancer(final RunningState state, final EventLoop[] loops, final HealthChecker health,
                         final DnsDiscovery dns, final ConnectionLimit maxconn, final String transport) {
        this.state = state;
        this.transport = transport;
        this.loops = loops;
        this.health = health;
        this.dns = dns;
        this.maxconn = maxconn;
    }

    /** The transport the loops run on ({@code epoll}, {@code nio}): what {@code auto} chose, when it was asked. */
    public String transport() {
        return transport;
    }

    /**
     * Binds every listener on every loop and starts the loops.
     *
     * @throws java.net.BindException when a listen address is in use or cannot be bound
     * @throws IOException            on any other failure to open sockets or selectors; nothing is left running
     */
    public static LoadBalancer start(final Config config) throws IOException {
        return start(config, OperatorStates.NONE);
    }

    /**
     * What {@link #start} would refuse that the config alone tells, found without binding anything, for
     * {@code niolb check}: a TCP listener with {@code defer-accept} on the NIO transport. Only when NIO is named:
     * what {@code auto} runs depends on the machine that runs it, which need not be the one that checks.
     *
     * @throws IOException with the message {@link #start} would fail with
     */
    public static void preflight(final Config config) throws IOException {
        refuseServersAtOwnListeners(config);
        if (config.transport() != TransportChoice.NIO) {
            return;
        }
        final Transport transport = Transports.of(config.transport());
        for (final ListenerConfig l : config.listeners()) {
            if (l.protocol() == Protocol.TCP && l.tcp().deferAccept() && !transport.defersAccept()) {
                throw new IOException(transport.deferAcceptRefusal());
            }
        }
    }

    /**
     * A server at one of the config's own listeners, a wildcard listener's port at any of this host's addresses
     * included: the config's own check knows loopback only (a file is checked on other hosts too), a start and a
     * reload know the host (black-box testing, session 30: {@code --listen 0.0.0.0:P --server HOST-ADDRESS:P} started
     * and looped one client's connection until maxconn).
     *
     * @throws IOException naming the server and the listener
     */
    static void refuseServersAtOwnListeners(final Config config) throws IOException {
        refuseServersAt(config, Config.ownEndpoints(config.listeners(), config.admin()));
    }

    /** As {@link #refuseServersAtOwnListeners}, against {@code endpoints}: listeners and the admin's stand-ins. */
    static void refuseServersAt(final Config config, final List<ListenerConfig> endpoints) throws IOException {
        final Config.ServerAtOwn found = Config.serverAtOwn(config.groups(), endpoints,
            dev.niolb.transport.LocalAddresses.HOST::isLocal);
        if (found != null) {
            throw new IOException(found.message());
        }
    }

    /**
     * {@code splice: always} where the transport cannot splice: it relays through buffers, and says so once at the
     * start (it started without a word, where defer-accept is refused; black-box testing, session 29). Not refused:
     * the relay works, only the copy is not saved.
     */
    private static void warnOfSpliceWithout(final Transport transport, final List<ListenerConfig> listeners) {
        if (transport.splices()) {
            return;
        }
        for (final ListenerConfig l : listeners) {
            if (l.protocol() == Protocol.TCP && l.tcp().splice() == dev.niolb.config.Splice.ALWAYS) {
                LOG.warn("listener {}: splice always, but the {} transport cannot splice: it relays through buffers "
                    + "(splice needs the epoll transport)", l.name(), transport.name());
            }
        }
    }

    /**
     * As {@link #start(Config)}, the servers starting in the operator modes and weights {@code states} kept from
     * before (applied before any listener accepts), and keeping every later change there.
     */
    public static LoadBalancer start(final Config config, final OperatorStates states) throws IOException {
        return start(config, states, () -> false);
    }

    /** A stop was asked for while the engine started: nothing was left running, and no listener bound. */
    public static final class StartAbandoned extends IOException {
        private static final long serialVersionUID = 1L;

        StartAbandoned() {
            super("a stop was asked for while niolb started", null);
        }
    }

    /**
     * As {@link #start(Config, OperatorStates)}, given up before any listener binds once {@code stopAsked} says so
     * (it is asked while the first DNS lookups are awaited, and after them).
     *
     * @throws StartAbandoned when it was given up
     */
    public static LoadBalancer start(final Config config, final OperatorStates states,
                                     final java.util.function.BooleanSupplier stopAsked) throws IOException {
        return start(config, states, stopAsked, HandedOverState.NONE);
    }

    /**
     * As {@link #start(Config, OperatorStates, java.util.function.BooleanSupplier)}, starting from what the niolb
     * taken over knew ({@code handed}): its servers DOWN start DOWN, its agents' last words hold, and its DNS names'
     * servers are there before the first lookup, all before any listener accepts.
     */
    public static LoadBalancer start(final Config config, final OperatorStates states,
                                     final java.util.function.BooleanSupplier stopAsked, final HandedOverState handed)
        throws IOException {
        final EventLoop[] loops = new EventLoop[config.threads()];
        final List<Listener> listeners = new ArrayList<>();
        HealthChecker health = null;
        DnsDiscovery dns = null;
        // loops hand it their closed sessions; it outlives them (stopped after the loops, see stop)
        final AccessLog accessLog = AccessLog.start(config.accessLog(), config.threads());
        LoadBalancer started = null;
        try {
            final Transport transport = Transports.of(config.transport());
            warnOfSpliceWithout(transport, config.listeners());
            for (int i = 0; i < loops.length; i++) {
                loops[i] = new EventLoop(i, transport);
                loops[i].busyPoll(config.busyPoll().window());
            }
            // the process's maxconn: one count over every TCP listener and loop, see ConnectionLimit. Without one
            // of the operator's, a cap from the open-file limit, sized again once the listeners hold their sockets
            final long fileLimit = OpenFileLimit.limit();
            final int maxconn = config.maxconn() > 0 || fileLimit <= 0 ? config.maxconn()
                : OpenFileLimit.connections(fileLimit, OpenFileLimit.open(), 2);
            final ConnectionLimit global = maxconn > 0 ? new ConnectionLimit(maxconn) : ConnectionLimit.UNLIMITED;
            final Map<String, TargetGroup> groups = new LinkedHashMap<>();
            for (final TargetGroupConfig g : config.groups()) {
                warnIgnoredWeights(g, null);
                final TargetGroup group = new TargetGroup(g, loops.length);
                group.onJoining(states::joining);
                groups.put(g.name(), group);
            }
            // servers by DNS name: resolved before any listener accepts (a name that does not resolve yet is
            // retried; its group starts with the servers it has)
            dns = DnsDiscovery.start(config.dns());
            dns.listeners(Config.ownEndpoints(config.listeners(), config.admin()));
            dns.watch(dnsSpecs(config.groups(), groups), stopAsked, (group, spec) -> handed.dnsMembers(group.name(), spec));
            if (stopAsked.getAsBoolean()) {
                throw new StartAbandoned(); // before any listener takes a client it would only turn away
            }
            states.restore(groups); // before any listener accepts: a server kept in MAINT takes no session
            takeHealthOver(handed, groups); // and one the old niolb held DOWN none either
            for (final ListenerConfig l : config.listeners()) {
                final Listener listener = ListenerBinder.bind(l, groups.get(l.group()), loops, global, accessLog,
                    transport);
                listeners.add(listener);
                if (l.protocol() == Protocol.TCP) {
                    listener.register(); // UDP ones once every listener is bound, see below
                }
            }
            // a channel registered with a selector is only really closed by that selector, and the loops of a
            // failed start never run: registering UDP sockets last lets a failed start release their ports
            for (final Listener listener : listeners) {
                if (listener.protocol() == Protocol.UDP) {
                    listener.register();
                }
            }
            // its own loop: checks never run on a relay loop; paced drains close sessions through queued commands
            health = HealthChecker.start(groups.values(),
                (server, count, why) -> SessionDrain.closeIdlest(loops, server, count, why),
                datagramOnlyGroups(config.listeners()));
            for (final EventLoop loop : loops) {
                loop.start();
            }
            shareAutoFlows(listeners);
            sizeMaxconn(global, config.maxconn(), listeners, groups.values(), "");
            started = new LoadBalancer(new RunningState(config, groups, listeners), loops, health, dns,
                global, transport.name());
            started.accessLog = accessLog;
            started.operatorStates = states;
            for (final UdpListener u : started.udpListeners()) {
                u.engineAddresses(started::loopsBack);
            }
            states.save(groups.values()); // lines that matched nothing go; an unwritable file is said now
            final LoadBalancer running = started;
            dns.onMembersChanged(() -> {
                running.saveOperatorStates();
                running.resizeMaxconn(" after DNS changed a group's servers");
            });
            return started;
        } catch (final IOException | RuntimeException e) {
            if (started != null) {
                started.stop(Duration.ZERO);
                throw e;
            }
            if (dns != null) {
                dns.close();
            }
            if (health != null) {
                health.close();
            }
            for (final Listener listener : listeners) {
                listener.closeUnstarted();
            }
            for (final EventLoop loop : loops) {
                if (loop != null) {
                    loop.stop();
                }
            }
            accessLog.close();
            throw e;
        }
    }

    /** The address a listener (TCP or UDP) is bound to (an ephemeral port 0 resolved to the real port). */
    public InetSocketAddress localAddress(final String listenerName) {
        final Listener l = state.listener(listenerName);
        if (l == null) {
            throw new IllegalArgumentException("no listener named '" + listenerName + "'");
        }
        return l.localAddress();
    }

    /** The bound addresses of all listeners, TCP and UDP, in config order. */
    public List<InetSocketAddress> localAddresses() {
        return state.localAddresses();
    }

    /**
     * What runs now: config, groups, listeners, as one value. A reader that needs more than one of them reads
     * this once and takes them all from it, so that a reload in between cannot mix two states.
     */
    public RunningState running() {
        return state;
    }

    public TcpListener listener(final String name) {
        if (state.listener(name) instanceof TcpListener l) {
            return l;
        }
        throw new IllegalArgumentException("no listener named '" + name + "'");
    }

    /** The TCP listeners, in config order. */
    public List<TcpListener> listeners() {
        return state.tcpListeners();
    }

    public UdpListener udpListener(final String name) {
        if (state.listener(name) instanceof UdpListener l) {
            return l;
        }
        throw new IllegalArgumentException("no udp listener named '" + name + "'");
    }

    /** The UDP listeners, in config order. */
    public List<UdpListener> udpListeners() {
        return state.udpListeners();
    }

    public TargetGroup group(final String name) {
        final TargetGroup group = state.groups().get(name);
        if (group == null) {
            throw new IllegalArgumentException("no group named '" + name + "'");
        }
        return group;
    }

    public Config config() {
        return state.config();
    }

    /** Milliseconds since the engine started. */
    public long uptimeMs() {
        return (System.nanoTime() - startNanos) / 1_000_000L;
    }

    /** The access log ({@link AccessLog#OFF} when the config has none). */
    public AccessLog accessLog() {
        return accessLog;
    }

    /** Where a reload through the admin API reads the config again; null (the default) for nowhere. */
    public ConfigSource configSource() {
        return configSource;
    }

    /** Sets where {@code POST /reload} reads the config again ({@code niolb run --config}: the file). */
    public void configSource(final ConfigSource source) {
        this.configSource = source;
    }

    /** The address the admin API listens on (a port 0 resolved), or null when it does not run. */
    public InetSocketAddress adminAddress() {
        return adminAddress;
    }

    /**
     * The admin API the composition root started for this engine: {@link #adminAddress()} says where it listens,
     * and {@link #stop} closes it last, after the loops, so that it answers through the grace period. Once.
     */
    public void attachAdmin(final InetSocketAddress address, final AutoCloseable server) {
        if (admin != null) {
            throw new IllegalStateException("an admin API is attached already");
        }
        this.admin = java.util.Objects.requireNonNull(server, "server");
        this.adminAddress = java.util.Objects.requireNonNull(address, "address");
    }

    /** The address the metrics-only listener listens on (a port 0 resolved), or null when it does not run. */
    public InetSocketAddress metricsAddress() {
        return metricsAddress;
    }

    /** The metrics-only listener the composition root started: closed by {@link #stop} with the admin API. Once. */
    public void attachMetrics(final InetSocketAddress address, final AutoCloseable server) {
        if (metrics != null) {
            throw new IllegalStateException("a metrics listener is attached already");
        }
        this.metrics = java.util.Objects.requireNonNull(server, "server");
        this.metricsAddress = java.util.Objects.requireNonNull(address, "address");
    }

    /**
     * Sizes the process's {@code limit} to the open-file limit when the operator set no maxconn ({@code configured}
     * 0): two descriptors a session, after those open now (listening sockets, pollers, the JVM's files; those of
     * the sessions counted now taken out), the UDP listeners' flow caps and {@link OpenFileLimit#RESERVE} more.
     * Measured once the listeners hold their sockets, at start and after each reload: counted before binding, a
     * hundred listeners on four loops (400 sockets) were left out and niolb ran out of descriptors below its own
     * cap (black-box testing, session 25). Logged when it changes. Warned of: a limit with no room left, an
     * operator's maxconn the limit cannot hold, and caps that together need more than the limit (the UDP
     * listeners at the default {@code udp-max-flows} share half of it: caps set by hand).
     */
    private static void sizeMaxconn(final ConnectionLimit limit, final int configured, final List<Listener> listeners,
                                    final Collection<TargetGroup> groups, final String when) {
        sizeMaxconn(limit, configured, listeners, groups, when, true);
    }

    /** As above; {@code warnCaps}: whether UDP caps that need more than the limit are warned of (not at every add). */
    private static void sizeMaxconn(final ConnectionLimit limit, final int configured, final List<Listener> listeners,
                                    final Collection<TargetGroup> groups, final String when, final boolean warnCaps) {
        final long fileLimit = OpenFileLimit.limit();
        if (fileLimit <= 0 || !limit.limits()) {
            return; // no limit to read, or no cap to size (none was derived: the same reason)
        }
        final long flows = udpFlowCaps(listeners);
        final long checks = checkSockets(groups);
        final long udpListeners = listeners.stream().filter(l -> l instanceof UdpListener).count();
        final boolean anyTcp = udpListeners < listeners.size();
        // what is open now, less the sessions' and the flows' own descriptors, which the caps below count: a
        // reload with 200 flows open took them twice and lowered maxconn by 100 for good (black-box testing, session 27)
        final long open = Math.max(0, OpenFileLimit.open() - 2L * limit.open() - udpFlowsOpen(listeners));
        // the UDP caps count for at most half the limit: two UDP listeners at their default (half of it each: an
        // IPv4 and an IPv6 DNS front beside DNS over TCP) reserved all of it, and TCP was left a maxconn of 16
        // (black-box testing, session 27). Caps that together exceed the limit are warned of below
        final long flowsKept = Math.min(flows, Math.max(0, (fileLimit - OpenFileLimit.RESERVE) / 2));
        final int fits = OpenFileLimit.connections(fileLimit, open + flowsKept + checks, 2);
        if (configured > 0) {
            if (configured > fits) {
                LOG.warn("maxconn {} needs {} descriptors and the open-file limit is {}: raise it (LimitNOFILE, "
                    + "ulimit -n) or lower maxconn to {}; out of descriptors niolb pauses accepting, and health "
                    + "checks, the admin API and log files may find none", configured,
                    open + flows + checks + OpenFileLimit.RESERVE + 2L * configured, fileLimit, fits);
            }
        } else if (when.isEmpty() || Math.abs(fits - limit.max()) > 16) { // a reload moves it by a few files: kept
            limit.resize(fits);
            // kept below the caps: said, or the warning below, which names the caps, seemed to contradict it
            final String udp = (flowsKept == 0 ? "" : ", " + flowsKept + " for UDP flows" + (flowsKept < flows
                ? " (of their caps' " + flows + ": at most half the limit)" : ""))
                + (checks == 0 ? "" : ", " + checks + " for health checks");
            if (anyTcp && fileLimit - open - flowsKept - checks - OpenFileLimit.RESERVE < 2L * fits) {
                LOG.warn("maxconn {}{}: the open-file limit of {} leaves no room for sessions after the {} "
                    + "descriptors open{} and {} kept back; raise it (LimitNOFILE, ulimit -n)", fits, when, fileLimit,
                    open, udp, OpenFileLimit.RESERVE);
            } else {
                LOG.info("maxconn {}{}: what the open-file limit of {} leaves room for ({} open{}, {} kept back, 2 a "
                    + "session); set maxconn to choose another", fits, when, fileLimit, open, udp,
                    OpenFileLimit.RESERVE);
            }
        }
        // a derived maxconn as derived now: kept within 16 of it across reloads, the few descriptors an admin call
        // or a log file holds meanwhile are no shortage worth a warning that names settings niolb chose (black-box
        // testing, session 27: every no-change reload with a UDP listener warned)
        final long sessions = configured > 0 ? limit.max() : fits;
        final long need = open + OpenFileLimit.RESERVE + (anyTcp ? 2L * sessions : 0) + flows + checks;
        if (warnCaps && udpListeners > 0 && need > fileLimit) {
            // without a TCP listener maxconn holds no descriptor: not named, so as not to contradict the line above
            LOG.warn("{}udp-max-flows of {} on {} UDP {} (1 a flow) need {} "
                + "descriptors with the {} open and {} kept back, and the open-file limit is {}: raise it "
                + "(LimitNOFILE, ulimit -n) or lower them; out of descriptors new flows are dropped (no_socket)"
                + "{}", anyTcp ? "maxconn " + limit.max() + " (2 descriptors a session) and " : "", flows,
                udpListeners, udpListeners == 1 ? "listener" : "listeners", need, open, OpenFileLimit.RESERVE,
                fileLimit, anyTcp ? " and accepts pause" : "");
        }
    }

    /**
     * The most descriptors the active checks and agent polls can hold at once: one each per server of a group that
     * has them (a check holds its socket until its timeout; against servers that hang, every server's at once).
     * Left to the 256 kept back, 10,000 servers' checks against blackholed addresses took the descriptors the
     * derived maxconn had counted on for sessions (black-box testing, session 33).
     */
    private static long checkSockets(final Collection<TargetGroup> groups) {
        long sockets = 0;
        for (final TargetGroup group : groups) {
            sockets += (long) group.health().checks().size() * group.snapshot().servers().length;
        }
        return sockets;
    }

    /** The flows the UDP listeners of {@code listeners} hold now, a descriptor each. */
    private static long udpFlowsOpen(final List<Listener> listeners) {
        long flows = 0;
        for (final Listener l : listeners) {
            if (l instanceof UdpListener u) {
                flows += u.counters().active();
            }
        }
        return flows;
    }

    /** The flows every UDP listener of {@code listeners} may hold at once. */
    /**
     * Servers the niolb taken over held DOWN, or whose agents had said more than UP at 100 %, start so here: the
     * same server (group, name and address), and its checks go on from that state (a DOWN one needs its rise).
     */
    private static void takeHealthOver(final HandedOverState handed, final Map<String, TargetGroup> groups) {
        int down = 0;
        int agents = 0;
        final java.util.Set<String> elsewhere = new java.util.TreeSet<>();
        for (final HandedOverState.ServerHealth h : handed.servers()) {
            final TargetGroup group = groups.get(h.group());
            if (group == null) {
                elsewhere.add(h.group()); // renamed or removed: said below, not dropped without a word (session 34)
                continue;
            }
            final Server server = group == null ? null : group.snapshot().server(h.name());
            if (server == null || !server.address().equals(h.address())) {
                continue; // not in this config, or moved: its own checks judge it
            }
            if (!h.up()) {
                // the first few each said; ten thousand lines at every upgrade were too many (session 34)
                server.health(false, "the niolb taken over had it DOWN; its checks (or re-probes) go on from there",
                    down < NAMED_DOWN);
                down++;
            }
            // an agent's word holds only where an agent is polled: carried into a group without one, nothing would
            // ever clear it (black-box testing, session 34: a successor without the agent check kept s3 MAINT)
            // and only the same agent's: one moved to another port says its own first word
            final dev.niolb.config.CheckSpec.Agent polled = group.health().agentCheck();
            if ((h.agentMode() != null || h.agentPercent() != 100) && polled != null
                && (h.agentPort() == 0 || h.agentPort() == polled.port())) {
                server.agentReport(h.agentMode(), h.agentPercent(), "its agent's last word, as the niolb taken over "
                    + "had it", agents < NAMED_DOWN);
                agents++;
            }
        }
        if (!elsewhere.isEmpty()) {
            LOG.info("takeover: the health the niolb taken over had of servers of {} {} is not carried over: this "
                + "config has no such group (renamed or removed); their servers start as the config says",
                elsewhere.size() == 1 ? "group" : "groups", String.join(", ", elsewhere));
        }
        if (down + agents > 0) {
            LOG.info("takeover: {} {} DOWN{} and {} agents' last words{} carried over from the niolb taken over", down,
                down == 1 ? "server" : "servers", firstNamed(down), agents, firstNamed(agents));
        }
    }

    /** How many servers handed over DOWN have a line of their own; the rest are counted in the summary. */
    private static final int NAMED_DOWN = 20;

    /** {@code " (the first 20 named above)"} when more than those were handed over; else nothing. */
    private static String firstNamed(final int count) {
        return count > NAMED_DOWN ? " (the first " + NAMED_DOWN + " named above)" : "";
    }

    /**
     * The UDP listeners at the default flow cap share what the caps set by hand leave of it
     * ({@link UdpListener#shareAutoFlows}).
     */
    private static void shareAutoFlows(final List<Listener> listeners) {
        final List<UdpListener> udp = listeners.stream()
            .filter(l -> l instanceof UdpListener).map(UdpListener.class::cast).toList();
        final List<UdpListener> auto = udp.stream().filter(u -> u.config().udp().maxFlows() == 0).toList();
        final long handSet = udp.stream().mapToLong(u -> u.config().udp().maxFlows()).sum();
        final UdpListener.FlowShare share = new UdpListener.FlowShare(auto.size(), handSet);
        auto.forEach(u -> u.shareAutoFlows(share));
    }

    /** Each UDP listener's flow cap now. */
    private static Map<Listener, Integer> udpFlowCapsOf(final List<Listener> listeners) {
        final Map<Listener, Integer> caps = new java.util.IdentityHashMap<>();
        for (final Listener l : listeners) {
            if (l instanceof UdpListener u) {
                caps.put(u, u.maxFlows());
            }
        }
        return caps;
    }

    /**
     * Logs the flow caps of running UDP listeners at the default that a reload moved without a word in the file:
     * a UDP listener added or removed shares the default among more or fewer (black-box testing, session 33:
     * a listener's cap halved by another's arrival was said nowhere but in /metrics).
     */
    private static void sayAutoFlowCapsMoved(final Map<Listener, Integer> before, final List<Listener> listeners) {
        final long sharing = listeners.stream()
            .filter(l -> l instanceof UdpListener u && u.config().udp().maxFlows() == 0).count();
        final long handSet = listeners.stream()
            .mapToLong(l -> l instanceof UdpListener u ? u.config().udp().maxFlows() : 0).sum();
        for (final Listener l : listeners) {
            final Integer was = before.get(l);
            if (l instanceof UdpListener u && u.config().udp().maxFlows() == 0 && was != null && was != u.maxFlows()) {
                LOG.info("reload: listener {}: udp-max-flows {}→{} (the default, shared by {} UDP {}{})", u.name(),
                    was, u.maxFlows(), sharing, sharing == 1 ? "listener" : "listeners",
                    handSet == 0 ? "" : " after the " + handSet + " set by hand");
            }
        }
    }

    private static long udpFlowCaps(final List<Listener> listeners) {
        long flows = 0;
        for (final Listener l : listeners) {
            if (l instanceof UdpListener u) {
                flows += u.maxFlows();
            }
        }
        return flows;
    }

    /**
     * The process's maxconn over every TCP listener ({@link ConnectionLimit#UNLIMITED} without one): its
     * {@code open()} is the connections counted now. A listener started later must be bound under it.
     */
    public ConnectionLimit maxconn() {
        return maxconn;
    }

    /** Every group, in config order. */
    public java.util.Collection<TargetGroup> groups() {
        return state.groups().values();
    }

    /**
     * Whether a new UDP flow for {@code peer} would loop back into this engine: a server of any group, or any UDP
     * listener (at any of the host's addresses when it is bound to all of them). See
     * {@link dev.niolb.udp.EngineAddresses}. Any thread, once per new flow: a lookup per group and a comparison
     * per UDP listener, over the running state's own collections (no list made per flow). (A server removed and
     * forgotten is no longer known: a flow for its address is opened as any other.)
     */
    boolean loopsBack(final InetSocketAddress peer, final java.net.InetAddress receivedAt) {
        final RunningState now = state;
        for (final TargetGroup g : now.groups().values()) {
            if (g.snapshot().isServerAddress(peer)) {
                return true;
            }
        }
        for (final Listener l : now.listeners()) {
            if (l instanceof UdpListener u && u.isAddressOf(peer, receivedAt)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Where niolb listens now: {@link #boundListeners} and, as {@link Config#ownEndpoints} writes them, the admin API
     * and the metrics listener at the addresses they are bound to (a port 0 is the port it got).
     */
    public List<ListenerConfig> ownEndpointsNow() {
        return Config.ownEndpoints(boundListeners(), adminAddress, metricsAddress);
    }

    /** The running listeners' configs, each at the address it is bound to (a port 0 as the kernel chose it). */
    public List<ListenerConfig> boundListeners() {
        final List<ListenerConfig> bound = new ArrayList<>();
        for (final Listener l : state.listeners()) {
            final InetSocketAddress at = l.localAddress();
            bound.add(at == null ? l.config() : l.config().withBind(at));
        }
        return bound;
    }

    // ------------------------------------------------------------------------- membership at run time

    /**
     * Adds a server to a running group: it takes new sessions from the next pick (ramping up first under slow
     * start) and its checks start. Any thread.
     *
     * @throws IllegalArgumentException no such group, or the group already has a server of that name
     */
    public Server addServer(final String group, final ServerConfig server) {
        final Server added = group(group).add(server);
        saveOperatorStates();
        resizeMaxconn(" after a server was added");
        return added;
    }

    /**
     * Sizes a derived maxconn again for the servers' checks as they are now, as a reload does: servers added through
     * the admin API (or by DNS) were not counted, and the next reload, with no change, cut maxconn from 579 to 16
     * (black-box testing, session 34). Within 16 of the cap it stays, as over a reload.
     */
    private void resizeMaxconn(final String when) {
        final RunningState now = state;
        if (now.config().maxconn() > 0) {
            return; // the operator's: kept, and warned of at start and at reloads, not at every server added
        }
        synchronized (maxconnLock) {
            sizeMaxconn(maxconn, 0, now.listeners(), now.groups().values(), when, false);
        }
    }

    /**
     * Takes a server out of a running group: no new sessions from the next pick, its sessions finish (closed at
     * the group's drain rate after its drain timeout, if it has one), its checks stop, and it is forgotten once
     * it has no session left ({@link TargetGroup#retiring()} until then). Any thread.
     *
     * @return the server, now retiring
     * @throws IllegalArgumentException no such group or server
     */
    public Server removeServer(final String group, final String server) {
        final Server removed = group(group).remove(server);
        saveOperatorStates();
        resizeMaxconn(" after a server was removed");
        return removed;
    }

    /**
     * Sets a server's weight, 0..256, for new sessions. It stays over a reload until the config file changes
     * that server's weight. Any thread.
     *
     * @throws IllegalArgumentException no such group or server, or a weight out of range
     */
    public Server setWeight(final String group, final String server, final int weight) {
        final Server s = server(group, server);
        s.weight(weight);
        saveOperatorStates();
        return s;
    }

    /**
     * The operator's mode for a server: {@link ServerState#UP} (ready, in service), {@link ServerState#DRAIN}
     * or {@link ServerState#MAINT} (no new sessions, open ones finish). It stays over a reload. Any thread.
     *
     * @throws IllegalArgumentException no such group or server, or {@code DOWN} (checks decide that)
     */
    public Server setState(final String group, final String server, final ServerState mode) {
        final Server s = server(group, server);
        s.operatorMode(mode, "set by operator");
        saveOperatorStates();
        return s;
    }

    /**
     * Changes a group's algorithm for new sessions (a {@code source} bounded-load factor is kept while the
     * algorithm stays {@code source}). Any thread.
     */
    public void setBalance(final String group, final Algorithm balance) {
        final TargetGroup g = group(group);
        final TargetGroup.Snapshot s = g.snapshot();
        g.balance(balance, balance == Algorithm.SOURCE ? s.hashBalanceFactor() : 0);
    }

    /**
     * Writes the servers' operator modes and weights where {@code --state-file} keeps them ({@link OperatorStates}),
     * after a change made on a {@link Server} itself. Any thread.
     */
    public void saveOperatorStates() {
        operatorStates.applyPending(state.groups(), this::dnsAnswered);
        operatorStates.save(groups());
    }

    /** Why the operator states could not be saved the last time ({@link OperatorStates#notSaved}); null if they were. */
    public String operatorStatesNotSaved() {
        return operatorStates.notSaved();
    }

    /** Whether the DNS name a server of {@code group} is named for ({@code NAME:PORT#ADDRESS}) has answered. */
    private boolean dnsAnswered(final String group, final String server) {
        final String name = dev.niolb.config.DnsServerSpec.specName(server);
        for (final DnsDiscovery.LookupStats d : dns.lookupStats()) {
            if (d.group().equals(group) && d.name().equals(name)) {
                return d.lookups() > d.failures();
            }
        }
        return true; // no such name watched any more: nothing will give the server
    }

    /** The way the admin API's changes go, which a takeover closes. */
    public OperatorChanges operatorChanges() {
        return operatorChanges;
    }

    /** A member of a group (not a retiring one). */
    public Server server(final String group, final String server) {
        final Server s = group(group).snapshot().server(server);
        if (s == null) {
            throw new IllegalArgumentException("group '" + group + "' has no server named '" + server + "'");
        }
        return s;
    }

    /**
     * Sessions open now (TCP connecting or relaying, UDP flows) over every listener and loop, those of listeners
     * a reload removed included.
     */
    public long activeSessions() {
        return state.activeSessions();
    }

    /**
     * Warns of a group whose roundrobin ignores the weights set for it ({@link IgnoredWeights}): at start, and at
     * a reload where it is new or says something else than {@code before} did (not at every reload).
     */
    private static void warnIgnoredWeights(final TargetGroupConfig group, final TargetGroupConfig before) {
        final String warning = dev.niolb.config.IgnoredWeights.of(group);
        if (warning != null && (before == null || !warning.equals(dev.niolb.config.IgnoredWeights.of(before)))) {
            LOG.warn("{}", warning);
        }
    }

    /**
     * A reload's TCP listener at the address niolb's own admin API or metrics listener has: refused by name, as
     * {@code niolb check} and a start refuse it. The bind failed with the kernel's "address already in use", which
     * sent the operator looking for another process (black-box testing, session 35).
     */
    private void refuseOwnAddresses(final List<ListenerConfig> listeners) throws java.net.BindException {
        for (final ListenerConfig l : listeners) {
            if (l.protocol() == Protocol.TCP) {
                refuseOwnAddress(l, adminAddress, "admin API");
                refuseOwnAddress(l, metricsAddress, "metrics listener");
            }
        }
    }

    private static void refuseOwnAddress(final ListenerConfig l, final InetSocketAddress own, final String what)
        throws java.net.BindException {
        if (own != null && Config.clash(own, l.bind())) {
            throw new java.net.BindException("listener " + l.name() + " cannot listen on "
                + dev.niolb.config.Endpoint.hostPort(l.bind()) + ": niolb's own " + what + " listens on "
                + dev.niolb.config.Endpoint.hostPort(own));
        }
    }

    /**
     * Applies {@code next} to the running engine, in-process, and logs a one-line summary: new listeners start
     * (bound before anything else changes: when one cannot be bound the reload fails and nothing changes),
     * removed listeners stop accepting while their sessions finish, groups come and go, servers are added or
     * drained, and changed weights, algorithms, health settings and timeouts apply to new sessions. Sessions in
     * flight keep their server and are never cut. What operators set at run time ({@link #setState modes},
     * {@link #setWeight weights}) and what the engine learned (health states, balancer positions, connection
     * counts) stays, unless the new config changes that very value. A new thread count is not applied (it
     * needs a restart) and is reported in the result.
     *
     * @throws java.net.BindException when a new listener cannot be bound; nothing changed
     * @throws IOException            when a new listener cannot be started; nothing changed
     * @throws IllegalStateException  after {@link #stop}
     */
    public ReloadResult reload(final Config next) throws IOException {
        if (stopping || withdrawn) {
            // at once: a stop holds the lock for its whole grace period, and a reload asked meanwhile would wait it out;
            // in the shutdown delay too, where a POST /reload changed the grace the stop then used, and a SIGHUP is
            // ignored (black-box testing, session 28)
            throw new IllegalStateException("niolb is stopping");
        }
        synchronized (stopLock) {
            if (stopResult != null) {
                throw new IllegalStateException("the load balancer has stopped");
            }
            final Reconfiguration reconfiguration = new Reconfiguration(this, state, next);
            // before the listeners take their new settings: a cap set by hand and now back at the default was said
            // moved from the default share it was given for a moment (black-box testing, session 35: 1920→960)
            final Map<Listener, Integer> flowCapsBefore = udpFlowCapsOf(state.listeners());
            ReloadResult result;
            try {
                refuseOwnAddresses(next.listeners());
                result = reconfiguration.apply();
            } catch (final IOException | RuntimeException e) {
                reloads.refused();
                throw e;
            }
            final Config before = state.config();
            state = reconfiguration.after(); // the one write: readers see all of the reload or none of it
            reloads.applied();
            operatorStates.save(state.groups().values()); // servers the file changed or removed lose their lines
            LOG.info("reload: {}", result.diff().summary());
            for (final TargetGroupConfig g : next.groups()) {
                warnIgnoredWeights(g, before.groups().stream().filter(b -> b.name().equals(g.name())).findFirst()
                    .orElse(null));
            }
            if (!result.replaced().isEmpty()) {
                LOG.info("reload: {}{}", ReloadResult.REPLACED, String.join("; ", result.replaced()));
            }
            shareAutoFlows(state.listeners());
            sayAutoFlowCapsMoved(flowCapsBefore, state.listeners());
            sizeMaxconn(maxconn, state.config().maxconn(), state.listeners(), state.groups().values(),
                " after the reload"); // their sockets too
            final String maxconnLine = reconfiguration.maxconnNotApplied(); // with the cap as resized just now
            if (maxconnLine != null) {
                result = result.alsoNotApplied(maxconnLine);
            }
            if (!result.notApplied().isEmpty()) {
                LOG.warn("reload: not applied: {}", String.join("; ", result.notApplied()));
            }
            return result;
        }
    }

    /**
     * Reloads applied and refused. {@link #reload} counts its own outcome; whoever refuses a config before it
     * gets here (it does not read or validate) counts that with {@link ReloadCounters#refused()}.
     */
    public ReloadCounters reloads() {
        return reloads;
    }

    /**
     * The descriptors of every listening socket of the running config (TCP and UDP, one per loop), for systemd's
     * file-descriptor store, which keeps them open while niolb restarts: empty on the NIO transport. Any thread.
     */
    /**
     * Before a takeover hands the sockets over: ends the flows of UDP listeners a reload removed that still hold
     * their sockets, which the successor could not bind again (see {@link UdpListener#endRetiringFlows}).
     *
     * @return the listeners' names with the flows each had, for the log; empty when none
     */
    public List<String> endRetiringUdpFlows() {
        final List<String> ended = new ArrayList<>();
        for (final Listener l : state.retired()) {
            if (l instanceof UdpListener u) {
                final int n = u.endRetiringFlows(LOOP_STOP_TIMEOUT_MS);
                if (n > 0) {
                    ended.add(u.name() + " (" + n + (n == 1 ? " flow)" : " flows)"));
                }
            }
        }
        return ended;
    }

    public int[] listeningDescriptors() {
        return state.listeners().stream().map(Listener::descriptors).flatMapToInt(java.util.Arrays::stream).toArray();
    }

    /** The relay event loops, in stripe order: for their heartbeats ({@code /metrics}). */
    public List<EventLoop> loops() {
        return List.of(loops);
    }

    /** What DNS discovery has looked up, per name and group. */
    public List<DnsDiscovery.LookupStats> dnsLookups() {
        return dns.lookupStats();
    }

    /** The live connection table: a copy of every loop's sessions, taken on each loop. */
    public List<SessionInfo> sessions() {
        final List<CompletableFuture<List<SessionInfo>>> parts = new ArrayList<>();
        for (final EventLoop loop : loops) {
            parts.add(loop.submit(loop::sessionInfos));
        }
        final List<SessionInfo> all = new ArrayList<>();
        for (final CompletableFuture<List<SessionInfo>> part : parts) {
            try {
                all.addAll(part.get(QUERY_TIMEOUT_MS, TimeUnit.MILLISECONDS));
            } catch (final Exception e) {
                LOG.debug("connection table: a loop did not answer: {}", e.toString());
            }
        }
        return all;
    }

    /** Relay buffers held by sessions now, over every loop: at most two per session, none for an idle one. */
    public int buffersInUse() {
        return sumOverLoops(EventLoop::buffersInUse, "buffers in use");
    }

    /** Kernel pipes held by splicing sessions now, over every loop: one per direction with bytes in one at most. */
    public int pipesInUse() {
        return sumOverLoops(EventLoop::pipesInUse, "pipes in use");
    }

    /** Kernel pipes the loops keep open for reuse (two descriptors each), held by no session. */
    public int pipesIdle() {
        return sumOverLoops(EventLoop::pipesIdle, "idle pipes");
    }

    private int sumOverLoops(final ToIntFunction<EventLoop> count, final String what) {
        int sum = 0;
        for (final EventLoop loop : loops) {
            try {
                sum += loop.submit(() -> count.applyAsInt(loop)).get(QUERY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (final Exception e) {
                LOG.debug("{}: a loop did not answer: {}", what, e.toString());
            }
        }
        return sum;
    }

    /**
     * Stops accepting, lets sessions finish for up to {@code grace}, closes the rest and stops the loops.
     * Idempotent; blocks until the loops have stopped.
     *
     * @return true when every session had finished by itself within the grace period
     */
    public boolean stop(final Duration grace) {
        return stop(grace, false);
    }

    /**
     * As {@link #stop(Duration)}, when a successor serves on the same listening sockets (a takeover): what this one
     * would only drop (a new UDP client's datagrams) is left to it ({@link Listener#handOver}).
     */
    public boolean handOverAndStop(final Duration grace) {
        return stop(grace, true, true);
    }

    /**
     * As {@link #stop(Duration)}, when the listening sockets outlive this process for a successor started once it
     * has exited (systemd's file-descriptor store): the UDP listeners stop reading at once, so that datagrams wait
     * in their sockets for the successor rather than be dropped here as a stopping niolb's through the grace
     * period (black-box testing, session 30: every new client's for as long as one flow lived). The admin API
     * answers until the end, as in any stop.
     */
    public boolean stopLeavingListenersToSuccessor(final Duration grace) {
        return stop(grace, false, true);
    }

    private boolean stop(final Duration grace, final boolean successor) {
        return stop(grace, successor, successor);
    }

    private boolean stop(final Duration grace, final boolean successorRunning, final boolean handOver) {
        stopping = true; // first, and outside the lock a reload may hold: GET /ready answers 503 from now on
        synchronized (stopLock) {
            if (stopResult != null) {
                return stopResult;
            }
            if (successorRunning) {
                closeAdmin(); // the successor answers at the same addresses now, beside these until this moment
            }
            for (final Listener listener : state.listeners()) {
                // sessions and flows go on through the grace period
                if (handOver) {
                    listener.handOver(LOOP_STOP_TIMEOUT_MS);
                } else {
                    listener.stopAccepting(LOOP_STOP_TIMEOUT_MS);
                }
            }
            final long deadline = System.nanoTime() + grace.toNanos();
            try {
                while (activeSessions() > 0 && System.nanoTime() - deadline < 0) {
                    Thread.sleep(10);
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            final long left = activeSessions();
            if (left > 0) {
                LOG.info("grace period over: closing {} {}", left, left == 1 ? "session" : "sessions");
            }
            dns.close();
            health.close();
            for (final EventLoop loop : loops) {
                loop.stop();
            }
            for (final EventLoop loop : loops) {
                try {
                    if (!loop.awaitTermination(LOOP_STOP_TIMEOUT_MS)) {
                        LOG.warn("event loop {} did not stop within {} ms", loop.index(), LOOP_STOP_TIMEOUT_MS);
                    }
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            flushPacedLines(); // after the loops: not lost with the process
            // after the loops: sessions they closed at shutdown are logged; the admin API answered until now
            accessLog.close();
            closeAdmin();
            stopResult = left == 0;
            return stopResult;
        }
    }

    /** Says now what the listeners' paced warnings left out: at a stop, also one a second signal cuts short. */
    public void flushPacedLines() {
        for (final Listener l : state.listeners()) {
            l.flushPacedLines();
        }
        for (final Listener l : state.retired()) {
            l.flushPacedLines();
        }
    }

    private void closeAdmin() {
        for (final AutoCloseable server : new AutoCloseable[]{admin, metrics}) {
            if (server != null) {
                try {
                    server.close();
                } catch (final Exception e) {
                    LOG.warn("admin API: could not close: {}", e.toString());
                }
            }
        }
    }

    /**
     * Says {@code GET /ready} 503 from now on while everything goes on: the first step of a shutdown with a
     * delay, for health checks upstream to withdraw this instance before {@link #stop} refuses anyone. Any thread.
     */
    public void withdraw() {
        withdrawn = true;
    }

    /** Whether {@link #withdraw} was called: still serving, no longer ready. */
    public boolean withdrawn() {
        return withdrawn;
    }

    /** Whether {@link #stop} has begun: the listeners stop accepting, sessions finish (GET /ready says 503). */
    public boolean stopping() {
        return stopping;
    }

    /** {@link #stop(Duration)} with no grace. */
    @Override
    public void close() {
        stop(Duration.ZERO);
    }

    /** Every DNS server spec of {@code configs}, with the group it feeds. */
    static List<Map.Entry<TargetGroup, DnsServerSpec>> dnsSpecs(final List<TargetGroupConfig> configs,
                                                               final Map<String, TargetGroup> groups) {
        final List<Map.Entry<TargetGroup, DnsServerSpec>> specs = new ArrayList<>();
        for (final TargetGroupConfig g : configs) {
            for (final DnsServerSpec spec : g.dnsServers()) {
                specs.add(Map.entry(groups.get(g.name()), spec));
            }
        }
        return specs;
    }

    /** The DNS side of the engine: the servers a spec stands for now, for tests and the admin API. */
    /** What a watched spec resolves ({@code HOST:PORT} or {@code srv:NAME}); empty when none is watched so. */
    public String dnsTarget(final String group, final String spec) {
        return dns.target(group(group), spec);
    }

    public List<ServerConfig> dnsServers(final String group, final String spec) {
        return dns.servers(group(group), spec);
    }

    /** The groups only UDP listeners use: passive health re-probes their servers with a datagram, not a connect. */
    static Set<String> datagramOnlyGroups(final List<ListenerConfig> listeners) {
        final Set<String> udp = new HashSet<>();
        final Set<String> tcp = new HashSet<>();
        for (final ListenerConfig l : listeners) {
            (l.protocol() == Protocol.UDP ? udp : tcp).add(l.group());
        }
        udp.removeAll(tcp);
        return udp;
    }
}
