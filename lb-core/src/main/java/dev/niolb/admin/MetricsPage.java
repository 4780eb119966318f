package dev.niolb.admin;

import dev.niolb.metrics.JvmFamilies;
import dev.niolb.metrics.LatencyBuckets;
import dev.niolb.metrics.PrometheusText;
import dev.niolb.metrics.PrometheusText.Type;
import dev.niolb.dns.DnsDiscovery;
import dev.niolb.backend.ServerState;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code GET /metrics}: {@link EngineStats} in the Prometheus text format, then the standard {@code jvm_*} and
 * {@code process_*} families ({@link JvmFamilies}). Names: {@code niolb_} prefix, snake case, labels
 * {@code listener}, {@code group}, {@code server}, {@code loop}; counters end in {@code _total}, times are in
 * seconds, bytes in bytes. Bytes {@code direction="in"} went from clients towards servers, {@code "out"} back
 * (HAProxy's bin/bout). Latencies are histograms with fixed buckets ({@link LatencyBuckets}), since start, so
 * that a fleet's can be summed. Every family is written, with its {@code HELP} and {@code TYPE}, even when it
 * has no sample (no listener with a maxconn, no DNS names): what niolb exports does not depend on its config.
 */
final class MetricsPage {
    private MetricsPage() {
    }

    static String render(final EngineStats stats) {
        final PrometheusText p = new PrometheusText();
        write(p, stats);
        return p.toString();
    }

    /** As {@link #render(EngineStats)}, written to {@code sink} as it is made, never held whole. */
    static void render(final EngineStats stats, final java.io.Writer sink) {
        final PrometheusText p = new PrometheusText(sink);
        write(p, stats);
        p.finish();
    }

    private static void write(final PrometheusText p, final EngineStats stats) {
        process(p, stats);
        loops(p, stats);
        listeners(p, stats);
        groups(p, stats);
        servers(p, stats);
        dns(p, stats);
        p.families(JvmFamilies.scrape());
    }

    private static void process(final PrometheusText p, final EngineStats s) {
        p.family("niolb_build_info", Type.GAUGE, "1, with the niolb version as a label.")
            .sample(1, "version", s.version());
        p.family("niolb_uptime_seconds", Type.GAUGE, "Seconds since the engine started.")
            .sample(s.uptimeMs() / 1000.0);
        p.family("niolb_event_loops", Type.GAUGE, "Relay event loops (threads).").sample(s.loops());
        p.family("niolb_sessions", Type.GAUGE, "TCP sessions and UDP flows open now, over every listener.")
            .sample(s.sessions());
        p.family("niolb_buffers_in_use", Type.GAUGE, "Pooled relay buffers held by sessions now.")
            .sample(s.buffersInUse());
        p.family("niolb_pipes_in_use", Type.GAUGE, "Kernel pipes held by splicing sessions now (epoll transport).")
            .sample(s.pipesInUse());
        p.family("niolb_pipes_idle", Type.GAUGE,
            "Kernel pipes the loops keep open for the next splice, held by no session (two descriptors each).")
            .sample(s.pipesIdle());
        p.family("niolb_direct_memory_bytes", Type.GAUGE, "Direct memory used by the JVM's direct buffers.")
            .sample(s.directMemoryBytes());
        p.family("niolb_access_log_lines_total", Type.COUNTER, "Access log lines queued for writing.")
            .sample(s.accessLogLines());
        p.family("niolb_access_log_dropped_total", Type.COUNTER,
            "Access log lines dropped because the log could not keep up.").sample(s.accessLogDropped());
        p.family("niolb_access_log_lost_total", Type.COUNTER,
            "Access log lines an output took but could not write: the log file (a full disk), standard output (a "
                + "closed pipe), a local syslog socket (gone, or its reader behind); once per output that failed.")
            .sample(s.accessLogLost());
        p.family("niolb_maxconn_limit", Type.GAUGE,
            "The process's maxconn: TCP connections open at once over every listener (absent without one).");
        if (s.maxconn() > 0) {
            p.sample(s.maxconn());
        }
        p.family("niolb_maxconn_connections", Type.GAUGE,
            "TCP connections counted against the process's maxconn now (absent without one).");
        if (s.maxconn() > 0) {
            p.sample(s.maxconnOpen());
        }
        p.family("niolb_reloads_total", Type.COUNTER,
            "Config reloads (SIGHUP, POST /reload), by result: applied, or refused (the config did not read, "
                + "validate or apply, and the running one stayed).");
        p.sample(s.reloads().applied(), "result", "applied");
        p.sample(s.reloads().refused(), "result", "refused");
        p.family("niolb_reload_last_successful", Type.GAUGE, "1 when the last reload was applied (or none was "
            + "tried), 0 when it was refused.").sample(s.reloads().lastApplied() ? 1 : 0);
        p.family("niolb_reload_last_success_timestamp_seconds", Type.GAUGE,
            "When the running config was applied (start or last applied reload), in seconds since the epoch.")
            .sample(s.reloads().lastAppliedEpochMs() / 1000.0);
    }

    private static void loops(final PrometheusText p, final EngineStats s) {
        p.family("niolb_event_loop_iterations_total", Type.COUNTER,
            "Times the relay loop went back to its poll: a heartbeat that moves while the loop has work.");
        for (final EngineStats.LoopStats l : s.loopStats()) {
            p.sample(l.iterations(), "loop", Integer.toString(l.index()));
        }
        p.family("niolb_event_loop_errors_total", Type.COUNTER,
            "Failures a relay loop caught in a handler, command or timer, logged and went on from.");
        for (final EngineStats.LoopStats l : s.loopStats()) {
            p.sample(l.errors(), "loop", Integer.toString(l.index()));
        }
        p.family("niolb_event_loop_busy_seconds", Type.GAUGE,
            "How long the relay loop's current iteration has run; 0 while it waits for events. Seconds mean a "
                + "stalled loop, whose sessions all wait.");
        for (final EngineStats.LoopStats l : s.loopStats()) {
            p.sample(l.busySeconds(), "loop", Integer.toString(l.index()));
        }
        p.family("niolb_event_loop_busy_poll_found_total", Type.COUNTER,
            "Polls the relay loop made while busy polling (busy-poll) that found a socket ready: each is a sleep "
                + "and a wake-up saved. Flat while busy polling is on: it costs CPU and saves nothing.");
        for (final EngineStats.LoopStats l : s.loopStats()) {
            p.sample(l.busyPollFound(), "loop", Integer.toString(l.index()));
        }
    }

    private static void listeners(final PrometheusText p, final EngineStats s) {
        p.family("niolb_listener_accepted_total", Type.COUNTER,
            "TCP connections accepted; for UDP listeners, flows opened.");
        for (final EngineStats.ListenerStats l : listenerRows(s)) {
            p.sample(l.accepted(), "listener", l.name(), "protocol", l.protocol());
        }
        p.family("niolb_listener_active_connections", Type.GAUGE, "Sessions (UDP: flows) open now.");
        for (final EngineStats.ListenerStats l : listenerRows(s)) {
            p.sample(l.active(), "listener", l.name(), "protocol", l.protocol());
        }
        p.family("niolb_listener_bytes_total", Type.COUNTER,
            "Bytes relayed: in from clients towards servers, out from servers to clients.");
        for (final EngineStats.ListenerStats l : listenerRows(s)) {
            p.sample(l.bytesIn(), "listener", l.name(), "protocol", l.protocol(), "direction", "in");
            p.sample(l.bytesOut(), "listener", l.name(), "protocol", l.protocol(), "direction", "out");
        }
        p.family("niolb_listener_connect_failures_total", Type.COUNTER,
            "Connect tries to servers that failed (UDP: ICMP port unreachable); each was retried or ended its session.");
        for (final EngineStats.ListenerStats l : listenerRows(s)) {
            p.sample(l.connectFailures(), "listener", l.name(), "protocol", l.protocol());
        }
        p.family("niolb_listener_sessions_ended_total", Type.COUNTER,
            "Sessions (UDP: flows) ended, by how: no_server and no_buffer are sessions refused for want of a "
                + "server or of memory.");
        for (final EngineStats.ListenerStats l : listenerRows(s)) {
            for (final Map.Entry<String, Long> e : l.ended().entrySet()) {
                p.sample(e.getValue(), "listener", l.name(), "protocol", l.protocol(), "reason", e.getKey());
            }
        }
        p.family("niolb_listener_rejected_total", Type.COUNTER,
            "TCP connections refused at accept (acl, source_limit, source_rate) or for their PROXY header.");
        for (final EngineStats.ListenerStats l : listenerRows(s)) {
            for (final Map.Entry<String, Long> e : l.rejected().entrySet()) {
                p.sample(e.getValue(), "listener", l.name(), "protocol", l.protocol(), "reason", e.getKey());
            }
        }
        p.family("niolb_listener_datagrams_dropped_total", Type.COUNTER, "UDP datagrams not forwarded, by why.");
        for (final EngineStats.ListenerStats l : listenerRows(s)) {
            for (final Map.Entry<String, Long> e : l.dropped().entrySet()) {
                p.sample(e.getValue(), "listener", l.name(), "protocol", l.protocol(), "reason", e.getKey());
            }
        }
        p.family("niolb_listener_session_seconds", Type.HISTOGRAM,
            "Session (UDP: flow) durations from accept to close.");
        for (final EngineStats.ListenerStats l : listenerRows(s)) {
            p.histogram(l.durations(), "listener", l.name(), "protocol", l.protocol());
        }
        p.family("niolb_listener_maxconn_limit", Type.GAUGE,
            "The listener's maxconn: its TCP connections open at once (absent without one); UDP: its flows open at "
                + "once (udp-max-flows, set or derived), past which new clients' datagrams are dropped as flow_limit.");
        for (final EngineStats.ListenerStats l : listenerRows(s)) {
            if (l.maxconn() > 0) {
                p.sample(l.maxconn(), "listener", l.name(), "protocol", l.protocol());
            }
        }
        listenerCounter(p, s, "niolb_listener_accept_errors_total", "tcp",
            "Accepts that failed (out of file descriptors, EMFILE/ENFILE); the loop backs off and tries again.",
            EngineStats.ListenerStats::acceptErrors);
        listenerCounter(p, s, "niolb_listener_maxconn_pauses_total", "tcp",
            "Times a loop stopped accepting because the listener (or the process) was at its maxconn.",
            EngineStats.ListenerStats::maxconnPauses);
        listenerCounter(p, s, "niolb_listener_maxconn_paused_seconds_total", "tcp",
            "Seconds loops spent not accepting at a maxconn, summed over the loops (up to niolb_event_loops a second); "
                + "a pause still going counts as it lasts.",
            l -> l.maxconnPausedMs() / 1000.0);
        listenerCounter(p, s, "niolb_listener_proxy_headers_total", null,
            "PROXY protocol headers read and accepted from trusted peers (UDP: datagrams).",
            EngineStats.ListenerStats::proxyHeaders);
        listenerCounter(p, s, "niolb_listener_proxy_direct_total", null,
            "Peers of an accept-proxy listener outside its trusted sources, served as direct clients without a "
                + "header (TCP: connections, UDP: datagrams).", EngineStats.ListenerStats::proxyDirect);
        p.family("niolb_listener_datagrams_total", Type.COUNTER,
            "UDP datagrams forwarded: in from clients to servers, out from servers to clients.");
        for (final EngineStats.ListenerStats l : listenerRows(s)) {
            if (l.protocol().equals("udp")) {
                p.sample(l.datagramsIn(), "listener", l.name(), "protocol", l.protocol(), "direction", "in");
                p.sample(l.datagramsOut(), "listener", l.name(), "protocol", l.protocol(), "direction", "out");
            }
        }
        listenerCounter(p, s, "niolb_listener_receive_errors_total", "udp",
            "Receives on the UDP listening socket that failed with an I/O error.",
            EngineStats.ListenerStats::receiveErrors);
        listenerCounter(p, s, "niolb_listener_flows_moved_total", "udp",
            "UDP flows moved to another server: theirs went down, or answered port unreachable before any reply.", EngineStats.ListenerStats::flowsMoved);
    }

    private interface ListenerValue {
        double of(EngineStats.ListenerStats listener);
    }

    /** A counter of every listener, or of those of one protocol. */
    private static void listenerCounter(final PrometheusText p, final EngineStats s, final String name,
                                        final String protocol, final String help, final ListenerValue value) {
        p.family(name, Type.COUNTER, help);
        for (final EngineStats.ListenerStats l : listenerRows(s)) {
            if (protocol == null || protocol.equals(l.protocol())) {
                p.sample(value.of(l), "listener", l.name(), "protocol", l.protocol());
            }
        }
    }

    private static void groups(final PrometheusText p, final EngineStats s) {
        p.family("niolb_group_servers", Type.GAUGE, "Servers in the group.");
        for (final EngineStats.GroupStats g : s.groups()) {
            p.sample(g.servers().size(), "group", g.name());
        }
        p.family("niolb_group_servers_retiring", Type.GAUGE,
            "Servers taken out of the group (admin API, reload, DNS) whose sessions have not all ended.");
        for (final EngineStats.GroupStats g : serverGroups(s)) {
            p.sample(g.retiring().size(), "group", g.name());
        }
        p.family("niolb_group_servers_up", Type.GAUGE, "Servers of the group in state up.");
        for (final EngineStats.GroupStats g : s.groups()) {
            p.sample(g.serversUp(), "group", g.name());
        }
        p.family("niolb_group_backups_active", Type.GAUGE, "1 while the group's backup servers take new sessions.");
        for (final EngineStats.GroupStats g : s.groups()) {
            p.sample(g.backupsActive() ? 1 : 0, "group", g.name());
        }
        p.family("niolb_group_panic", Type.GAUGE,
            "1 while the group is in panic: fewer than its panic threshold of primary servers are UP, so DOWN servers"
                + " take new sessions too.");
        for (final EngineStats.GroupStats g : s.groups()) {
            p.sample(g.panic() ? 1 : 0, "group", g.name());
        }
    }

    private static void servers(final PrometheusText p, final EngineStats s) {
        p.family("niolb_server_state", Type.GAUGE, "1 for the state the server is in (up, down, drain, maint), 0 for the others.");
        for (final ServerRow r : serverRows(s)) {
            for (final ServerState state : ServerState.values()) {
                final String name = EngineStats.stateName(state);
                p.sample(name.equals(r.server().state()) ? 1 : 0, r.labels("state", name));
            }
        }
        serverGauge(p, s, "niolb_server_weight", "The operator weight (0 takes no new sessions).", v -> v.weight());
        serverGauge(p, s, "niolb_server_effective_weight",
            "The weight balancers use now: weight times agent percentage and slow-start ramp; 0 while the server is "
                + "DOWN, drained, in maintenance or of weight 0 (at its maxconn it keeps its weight and is skipped).",
            v -> v.effectiveWeight() / 1000.0);
        serverGauge(p, s, "niolb_server_active_connections", "Sessions (UDP: flows) open to the server now.",
            v -> v.active());
        serverCounter(p, s, "niolb_server_connections_total", "Sessions (UDP: flows) the server has taken.",
            v -> v.total());
        serverCounter(p, s, "niolb_server_connect_failures_total",
            "Connects to the server that failed (refused, unreachable, timed out; UDP: port unreachable).",
            v -> v.connectFailures());
        p.family("niolb_server_bytes_total", Type.COUNTER,
            "Bytes relayed: in from clients to the server, out from the server to clients.");
        for (final ServerRow r : serverRows(s)) {
            p.sample(r.server().bytesIn(), r.labels("direction", "in"));
            p.sample(r.server().bytesOut(), r.labels("direction", "out"));
        }
        p.family("niolb_server_connect_seconds", Type.HISTOGRAM, "TCP connect times to the server.");
        for (final ServerRow r : serverRows(s)) {
            p.histogram(r.server().connect(), r.labels());
        }
        p.family("niolb_server_session_seconds", Type.HISTOGRAM,
            "Durations of the server's sessions (UDP: flows) from accept to close.");
        for (final ServerRow r : serverRows(s)) {
            p.histogram(r.server().session(), r.labels());
        }
        p.family("niolb_server_udp_reply_seconds", Type.HISTOGRAM,
            "UDP: time from a datagram sent to the server to its first reply (servers of groups a UDP listener "
                + "uses, or that had a reply).");
        // a fifth of a server's lines, and nothing to say for a group only TCP listeners use (black-box testing,
        // session 33: 10,000 servers made 63 MB a scrape)
        final Set<String> udpGroups = new HashSet<>();
        for (final EngineStats.ListenerStats l : s.listeners()) {
            if (l.protocol().equals("udp")) {
                udpGroups.add(l.group());
            }
        }
        for (final ServerRow r : serverRows(s)) {
            if (udpGroups.contains(r.group()) || r.server().reply().count() > 0) {
                p.histogram(r.server().reply(), r.labels());
            }
        }
        p.family("niolb_server_checks_total", Type.COUNTER,
            "Health checks of the server (active checks and re-probes after passive failures), by result.");
        for (final ServerRow r : serverRows(s)) {
            p.sample(r.server().checksPassed(), r.labels("result", "passed"));
            p.sample(r.server().checksFailed(), r.labels("result", "failed"));
        }
        p.family("niolb_server_state_changes_total", Type.COUNTER,
            "Times the server entered a state (up, down, drain, maint) from another: health, agent or operator.");
        for (final ServerRow r : serverRows(s)) {
            for (final Map.Entry<String, Long> e : r.server().stateChanges().entrySet()) {
                p.sample(e.getValue(), r.labels("state", e.getKey()));
            }
        }
    }

    private static void dns(final PrometheusText p, final EngineStats s) {
        p.family("niolb_dns_lookups_total", Type.COUNTER,
            "DNS lookups of servers given by name (at start, on TTL, after a failure), by group and name.");
        for (final DnsDiscovery.LookupStats d : s.dns()) {
            p.sample(d.lookups(), "group", d.group(), "name", d.name());
        }
        p.family("niolb_dns_lookup_failures_total", Type.COUNTER,
            "DNS lookups that failed (timeout, SERVFAIL, no address); the group keeps the last good servers.");
        for (final DnsDiscovery.LookupStats d : s.dns()) {
            p.sample(d.failures(), "group", d.group(), "name", d.name());
        }
        p.family("niolb_dns_failing", Type.GAUGE, "1 while the last lookup of the name failed.");
        for (final DnsDiscovery.LookupStats d : s.dns()) {
            p.sample(d.failing() ? 1 : 0, "group", d.group(), "name", d.name());
        }
    }

    private interface Value {
        double of(EngineStats.ServerStats server);
    }

    private static void serverGauge(final PrometheusText p, final EngineStats s, final String name,
                                    final String help, final Value value) {
        p.family(name, Type.GAUGE, help);
        perServer(p, s, value);
    }

    private static void serverCounter(final PrometheusText p, final EngineStats s, final String name,
                                      final String help, final Value value) {
        p.family(name, Type.COUNTER, help);
        perServer(p, s, value);
    }

    /** The groups, then those a reload removed whose servers' sessions have not all ended. */
    private static List<EngineStats.GroupStats> serverGroups(final EngineStats s) {
        return liveThenRetiring(s.groups(), s.retiringGroups(), EngineStats.GroupStats::name);
    }

    /** The listeners, then those a reload removed whose sessions have not all ended. */
    private static List<EngineStats.ListenerStats> listenerRows(final EngineStats s) {
        return liveThenRetiring(s.listeners(), s.retiringListeners(), EngineStats.ListenerStats::name);
    }

    /**
     * One server's series: labelled by its group and name, and, for a removed server whose name another server of
     * its group holds too, live or removed (its address changed in a reload, or it was removed and added back
     * elsewhere while its sessions go on), also {@code retiring="true"} and its {@code address}: its sessions and bytes stay in sight
     * until they end, beside the new server's series, which starts from 0 (black-box testing, session 30: they
     * were left out, and what the old sessions moved after the reload showed in no server series).
     */
    private record ServerRow(String group, EngineStats.ServerStats server, boolean twin) {
        String[] labels(final String... more) {
            final String[] own = twin
                ? new String[] {"group", group, "server", server.name(), "retiring", "true", "address", server.address()}
                : new String[] {"group", group, "server", server.name()};
            final String[] all = java.util.Arrays.copyOf(own, own.length + more.length);
            System.arraycopy(more, 0, all, own.length, more.length);
            return all;
        }
    }

    private static <T> List<T> concat(final List<T> a, final List<T> b) {
        final List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** Every group's servers, then its retiring ones (taken out, their sessions not all ended). */
    private static List<ServerRow> serverRows(final EngineStats s) {
        final List<ServerRow> rows = new ArrayList<>();
        for (final EngineStats.GroupStats g : serverGroups(s)) {
            final Set<String> seen = new HashSet<>();
            final Set<String> twice = new HashSet<>(); // names two of the group's servers hold, live or retiring
            for (final EngineStats.ServerStats v : concat(g.servers(), g.retiring())) {
                if (!seen.add(v.name())) {
                    twice.add(v.name());
                }
            }
            for (final EngineStats.ServerStats v : g.servers()) {
                rows.add(new ServerRow(g.name(), v, false));
            }
            for (final EngineStats.ServerStats v : g.retiring()) {
                // two retiring ones of a name no member holds were two series of the same labels (session 30)
                rows.add(new ServerRow(g.name(), v, twice.contains(v.name())));
            }
        }
        return rows;
    }

    /**
     * {@code live}, then the {@code retiring} ones (removed, their sessions going on: their counts go on until the
     * last ends). One whose name a live one holds again (removed, then added back) is left out, since two series
     * cannot share their labels; its counts show in {@code /api/stats}.
     */
    private static <T> List<T> liveThenRetiring(final List<T> live, final List<T> retiring,
                                                final Function<T, String> name) {
        if (retiring.isEmpty()) {
            return live;
        }
        final Set<String> names = new HashSet<>();
        final List<T> rows = new ArrayList<>(live);
        live.forEach(x -> names.add(name.apply(x)));
        for (final T x : retiring) {
            if (names.add(name.apply(x))) {
                rows.add(x);
            }
        }
        return rows;
    }

    private static void perServer(final PrometheusText p, final EngineStats s, final Value value) {
        for (final ServerRow r : serverRows(s)) {
            p.sample(value.of(r.server()), r.labels());
        }
    }
}
