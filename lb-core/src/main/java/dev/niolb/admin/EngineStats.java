package dev.niolb.admin;

import dev.niolb.LoadBalancer;
import dev.niolb.accesslog.AccessLogLosses;
import dev.niolb.accesslog.TerminationNames;
import dev.niolb.config.Endpoint;
import dev.niolb.listener.Listener;
import dev.niolb.session.Termination;
import dev.niolb.dns.DnsDiscovery;
import dev.niolb.engine.RunningState;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.LoopHeartbeat;
import dev.niolb.metrics.BuildInfo;
import dev.niolb.metrics.LatencySnapshot;
import dev.niolb.reload.ReloadCounters;
import dev.niolb.backend.HealthCounters;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerCounters;
import dev.niolb.backend.ServerState;
import dev.niolb.backend.TargetGroup;
import dev.niolb.tcp.ListenerCounters;
import dev.niolb.tcp.TcpListener;
import dev.niolb.udp.KernelUdp;
import dev.niolb.udp.UdpListener;
import dev.niolb.udp.UdpListenerCounters;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything {@code /metrics}, {@code /api/stats} and the stats page show, read once from the engine's counters
 * and recorders, so that the two renderings of one request agree.
 *
 * <p>Threading: {@link #take} runs on an admin thread; it only reads (striped counters, volatile snapshots,
 * latency recorders under their own monitors) and asks each loop for its buffer count through its queue. Listeners,
 * groups and config come from one {@link RunningState}, so that a reload meanwhile cannot mix two of them.
 *
 * @param uptimeMs          since the engine started
 * @param loops             relay event loops
 * @param sessions          sessions and flows open now
 * @param buffersInUse      pooled relay buffers held by sessions now
 * @param pipesInUse        kernel pipes held by splicing sessions now (epoll transport)
 * @param pipesIdle         kernel pipes the loops keep open for reuse, held by no session
 * @param directMemoryBytes direct memory in use by the JVM's direct buffers (the relay pools are most of it)
 * @param accessLogLines    access log lines queued for writing
 * @param accessLogDropped  access log lines dropped because a queue was full
 * @param accessLogLost     access log lines the sink could not write (a log file on a full disk)
 * @param retiringListeners listeners a reload removed whose sessions (flows) have not all ended
 * @param retiringGroups    groups a reload removed whose servers' sessions have not all ended: no member, the
 *                          servers as retiring ones
 * @param version           niolb's version
 * @param maxconn           the process's maxconn, 0 for none
 * @param maxconnOpen       TCP connections counted against it now
 * @param loopStats         each relay loop's heartbeat, in stripe order
 * @param dns               lookups of servers given by DNS names
 */
public record EngineStats(long uptimeMs, int loops, long sessions, int buffersInUse, int pipesInUse, int pipesIdle,
                          long directMemoryBytes,
                          long accessLogLines, long accessLogDropped, long accessLogLost,
                          List<ListenerStats> listeners,
                          List<ListenerStats> retiringListeners, List<GroupStats> groups,
                          List<GroupStats> retiringGroups, String version, int maxconn,
                          int maxconnOpen,
                          ReloadStats reloads, List<LoopStats> loopStats, List<DnsDiscovery.LookupStats> dns) {

    /**
     * One relay loop.
     *
     * @param iterations  times it went back to its poll
     * @param errors      failures it caught, logged and went on from
     * @param busySeconds how long its current iteration has run; 0 while it waits for events
     * @param busyPollFound polls made while busy polling that found a socket ready: sleeps and wake-ups saved
     */
    public record LoopStats(int index, long iterations, long errors, double busySeconds, long busyPollFound) {
    }

    /** Reloads applied and refused; whether the last one was applied, and when the running config was. */
    public record ReloadStats(long applied, long refused, boolean lastApplied, long lastAppliedEpochMs) {
    }

    /**
     * One listener.
     *
     * @param accepted       TCP connections accepted, or UDP flows opened
     * @param bytesIn        from clients
     * @param bytesOut       to clients
     * @param connectFailures TCP connect tries that failed; UDP: ICMP port unreachable from servers
     * @param ended          sessions (flows) ended, by how, in {@link Termination} order
     * @param dropped        UDP datagrams dropped, by why (empty for TCP)
     * @param rejected       TCP connections refused at accept (access list, per-source limits) or for their PROXY
     *                       header, by why (empty for UDP, whose refusals are dropped datagrams)
     * @param durations      session (flow) durations
     * @param maxconn        the listener's maxconn, 0 for none; UDP: its flow cap (udp-max-flows)
     * @param acceptErrors   TCP: accepts that failed (out of descriptors), each followed by a back-off
     * @param maxconnPauses  TCP: times a loop stopped accepting at a maxconn
     * @param maxconnPausedMs TCP: milliseconds loops spent not accepting at a maxconn, summed over loops
     * @param proxyHeaders   PROXY headers read and accepted from trusted peers (UDP: datagrams)
     * @param proxyDirect    peers outside the trusted sources of an accept-proxy listener, served without a
     *                       header (UDP: datagrams)
     * @param datagramsIn    UDP: datagrams from clients sent on to servers (0 for TCP)
     * @param datagramsOut   UDP: datagrams from servers sent back to clients (0 for TCP)
     * @param receiveErrors  UDP: receives that failed with an I/O error (0 for TCP)
     * @param flowsMoved     UDP: flows moved to another server because theirs went DOWN (0 for TCP)
     */
    public record ListenerStats(String name, String protocol, String address, String group, long accepted,
                                long active, long bytesIn, long bytesOut, long connectFailures,
                                Map<String, Long> ended, Map<String, Long> dropped, Map<String, Long> rejected,
                                LatencySnapshot durations, int maxconn, long acceptErrors, long maxconnPauses,
                                long maxconnPausedMs, long proxyHeaders, long proxyDirect, long datagramsIn,
                                long datagramsOut, long receiveErrors, long flowsMoved) {
    }

    /**
     * One group: its servers in their stable order.
     *
     * @param panic    whether fewer than its panic threshold of primary servers are UP, so DOWN ones take sessions too
     * @param retiring servers taken out of the group (admin API, reload, DNS) whose sessions have not all ended
     */
    public record GroupStats(String name, String balance, long serversUp, boolean backupsActive, boolean panic,
                             List<ServerStats> servers, List<ServerStats> retiring) {
    }

    /**
     * One server.
     *
     * @param weight          the operator weight
     * @param effectiveWeight what balancers use, in thousandths (0: takes no new sessions)
     * @param bytesIn         from clients to this server
     * @param bytesOut        from this server to clients
     * @param connect         TCP connect times
     * @param session         session (flow) durations
     * @param reply           UDP: first reply after a datagram
     * @param checksPassed    active checks and re-probes that passed
     * @param checksFailed    and that failed
     * @param stateChanges    times the server entered each state, by state name
     */
    public record ServerStats(String name, String address, String state, String operatorMode, boolean healthy,
                              String agentMode, int weight, int effectiveWeight,
                              boolean backup, long active, long total, long connectFailures, long bytesIn,
                              long bytesOut, LatencySnapshot connect, LatencySnapshot session,
                              LatencySnapshot reply, long checksPassed, long checksFailed,
                              Map<String, Long> stateChanges, long stateForMs, String stateReason) {
    }

    private static ListenerStats tcp(final TcpListener l, final long now) {
        final ListenerCounters c = l.counters();
        final Map<String, Long> rejected = new LinkedHashMap<>();
        rejected.put("acl", c.get(ListenerCounters.REJECTED_ACL));
        rejected.put("source_limit", c.get(ListenerCounters.REJECTED_SOURCE_LIMIT));
        rejected.put("source_rate", c.get(ListenerCounters.REJECTED_SOURCE_RATE));
        rejected.put("proxy_header", c.proxyHeaderErrors());
        return new ListenerStats(l.name(), "tcp", Endpoint.hostPort(l.localAddress()), l.group().name(),
            c.accepted(), c.active(), c.bytesIn(), c.bytesOut(), c.connectFailures(), ended(c), Map.of(),
            rejected, c.durations().snapshot(now), l.limit().max(), c.acceptErrors(), c.maxconnPauses(),
            l.maxconnPausedMs(), c.proxyHeaders(), c.get(ListenerCounters.PROXY_DIRECT), 0, 0, 0, 0);
    }

    private static ListenerStats udp(final UdpListener l, final KernelUdp kernel, final long now) {
        final UdpListenerCounters c = l.counters();
        final Map<String, Long> dropped = new LinkedHashMap<>();
        dropped.put("flow_limit", c.get(UdpListenerCounters.DROPPED_FLOW_LIMIT));
        dropped.put("no_server", c.get(UdpListenerCounters.DROPPED_NO_SERVER));
        dropped.put("connect_failure", c.get(UdpListenerCounters.DROPPED_CONNECT_FAILURE));
        dropped.put("not_resent", c.get(UdpListenerCounters.DROPPED_NOT_RESENT));
        dropped.put("from_server", c.get(UdpListenerCounters.DROPPED_FROM_SERVER));
        dropped.put("full", c.get(UdpListenerCounters.DROPPED_FULL));
        dropped.put("no_socket", c.get(UdpListenerCounters.DROPPED_NO_SOCKET));
        dropped.put("too_large", c.get(UdpListenerCounters.DROPPED_TOO_LARGE));
        dropped.put("send_failed", c.get(UdpListenerCounters.DROPPED_SEND));
        dropped.put("stopping", c.get(UdpListenerCounters.DROPPED_STOPPING));
        dropped.put("acl", c.get(UdpListenerCounters.DROPPED_ACL));
        dropped.put("source_limit", c.get(UdpListenerCounters.DROPPED_SOURCE_LIMIT));
        dropped.put("source_rate", c.get(UdpListenerCounters.DROPPED_SOURCE_RATE));
        dropped.put("proxy_header", c.get(UdpListenerCounters.DROPPED_PROXY_HEADER));
        dropped.put("empty", c.get(UdpListenerCounters.DROPPED_EMPTY));
        if (kernel != null) { // before niolb read them: its sockets' receive queues were full
            dropped.put("kernel", l.kernelDrops(kernel));
        }
        if (l.transport().countsReceiveDrops()) { // servers' replies, the same way on the flows' sockets
            dropped.put("kernel_replies", c.get(UdpListenerCounters.DROPPED_KERNEL_REPLIES));
        }
        return new ListenerStats(l.name(), "udp", Endpoint.hostPort(l.localAddress()), l.group().name(),
            c.flows(), c.active(), c.bytesIn(), c.bytesOut(), c.get(UdpListenerCounters.SERVER_UNREACHABLE),
            ended(c), dropped, Map.of(), c.durations().snapshot(now), l.maxFlows(), 0, 0, 0,
            c.get(UdpListenerCounters.PROXY_HEADERS), c.get(UdpListenerCounters.PROXY_DIRECT), c.datagramsIn(),
            c.datagramsOut(), c.get(UdpListenerCounters.RECEIVE_ERRORS), c.get(UdpListenerCounters.MOVED));
    }

    /** Reads the engine now. */
    public static EngineStats take(final LoadBalancer lb) {
        final long nowNanos = System.nanoTime();
        final long now = nowNanos / 1_000_000L;
        final RunningState running = lb.running();
        final List<LoopStats> loopStats = new ArrayList<>();
        for (final EventLoop loop : lb.loops()) {
            final LoopHeartbeat h = loop.heartbeat();
            loopStats.add(new LoopStats(h.index(), h.iterations(), h.errors(), h.busyNanos(nowNanos) / 1e9,
                h.busyPollFound()));
        }
        final KernelUdp kernel = running.udpListeners().isEmpty() && running.retired().isEmpty() ? null
            : KernelUdp.recent();
        final List<ListenerStats> listeners = new ArrayList<>();
        for (final TcpListener l : running.tcpListeners()) {
            listeners.add(tcp(l, now));
        }
        for (final UdpListener l : running.udpListeners()) {
            listeners.add(udp(l, kernel, now));
        }
        // removed by a reload, their sessions (flows) not all ended: until then their counts go on
        final List<ListenerStats> retiringListeners = new ArrayList<>();
        for (final Listener l : running.countedRetired()) {
            if (l.counters().active() > 0) {
                retiringListeners.add(l instanceof UdpListener u ? udp(u, kernel, now) : tcp((TcpListener) l, now));
            }
        }
        final List<GroupStats> groups = new ArrayList<>();
        for (final TargetGroup g : running.groups().values()) {
            final TargetGroup.Snapshot snapshot = g.snapshot();
            final List<ServerStats> servers = new ArrayList<>();
            long up = 0;
            for (final Server s : snapshot.servers()) {
                final ServerState state = s.state();
                if (state == ServerState.UP) {
                    up++;
                }
                servers.add(server(s, state, now));
            }
            final List<ServerStats> retiring = new ArrayList<>();
            for (final Server s : g.retiring()) {
                retiring.add(server(s, s.state(), now));
            }
            groups.add(new GroupStats(g.name(), snapshot.balance().toString(), up, g.backupsActive(), g.panic(),
                List.copyOf(servers), List.copyOf(retiring)));
        }
        final List<GroupStats> retiringGroups = new ArrayList<>();
        for (final TargetGroup g : running.retiredGroups()) {
            final List<ServerStats> retiring = new ArrayList<>();
            for (final Server s : g.retiring()) {
                retiring.add(server(s, s.state(), now));
            }
            if (!retiring.isEmpty()) {
                retiringGroups.add(new GroupStats(g.name(), g.snapshot().balance().toString(), 0, false, false,
                    List.of(), List.copyOf(retiring)));
            }
        }
        final ReloadCounters r = lb.reloads();
        return new EngineStats(lb.uptimeMs(), running.config().threads(), running.activeSessions(), lb.buffersInUse(),
            lb.pipesInUse(), lb.pipesIdle(), directMemoryUsed(), lb.accessLog().offered() - lb.accessLog().dropped(), lb.accessLog().dropped(),
            AccessLogLosses.total(),
            List.copyOf(listeners), List.copyOf(retiringListeners), List.copyOf(groups), List.copyOf(retiringGroups),
            BuildInfo.version(),
            lb.maxconn().max(),
            lb.maxconn().open(), new ReloadStats(r.appliedCount(), r.refusedCount(), r.lastApplied(),
            r.lastAppliedEpochMs()), List.copyOf(loopStats), lb.dnsLookups());
    }

    /** One server now. */
    public static ServerStats server(final Server s) {
        return server(s, s.state(), System.nanoTime() / 1_000_000L);
    }

    private static ServerStats server(final Server s, final ServerState state, final long nowMs) {
        final ServerCounters c = s.counters();
        final HealthCounters h = s.healthCounters();
        final Map<String, Long> changes = new LinkedHashMap<>();
        for (final ServerState to : ServerState.values()) {
            changes.put(stateName(to), h.changesTo(to));
        }
        return new ServerStats(s.name(), Endpoint.hostPort(s.address()), stateName(state),
            stateName(s.operatorMode()), s.healthy(), stateName(s.agentMode()), s.weight(),
            s.effectiveWeight(), s.backup(), c.active(), c.total(), c.failedConnects(), c.bytesToServer(),
            c.bytesFromServer(), c.connectTimes().snapshot(nowMs), c.sessionTimes().snapshot(nowMs),
            c.replyTimes().snapshot(nowMs), h.checksPassed(), h.checksFailed(), changes,
            Math.max(0, (System.nanoTime() - s.stateChangedNanos()) / 1_000_000L), s.stateReason());
    }

    /** {@code up}, {@code down}, {@code drain}, {@code maint}. */
    public static String stateName(final ServerState state) {
        return state.name().toLowerCase(Locale.ROOT);
    }

    private static Map<String, Long> ended(final dev.niolb.metrics.SessionCounters c) {
        final Map<String, Long> ended = new LinkedHashMap<>();
        for (final Termination t : Termination.values()) {
            ended.put(TerminationNames.of(t), c.terminated(t));
        }
        return ended;
    }

    private static long directMemoryUsed() {
        for (final BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool.getMemoryUsed();
            }
        }
        return -1;
    }
}
