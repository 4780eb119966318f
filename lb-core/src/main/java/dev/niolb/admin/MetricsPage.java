package dev.niolb.admin;

import dev.niolb.metrics.PrometheusText;
import dev.niolb.metrics.PrometheusText.Type;
import dev.niolb.target.ServerState;

import java.util.Map;

/**
 * {@code GET /metrics}: {@link EngineStats} in the Prometheus text format. Names: {@code niolb_} prefix, snake
 * case, labels {@code listener}, {@code group}, {@code server}; counters end in {@code _total}, times are in
 * seconds, bytes in bytes. Bytes {@code direction="in"} went from clients towards servers, {@code "out"} back
 * (HAProxy's bin/bout). Quantiles are over the last minute; {@code _sum} and {@code _count} since start.
 */
final class MetricsPage {
    private MetricsPage() {
    }

    static String render(final EngineStats stats) {
        final PrometheusText p = new PrometheusText();
        process(p, stats);
        listeners(p, stats);
        groups(p, stats);
        servers(p, stats);
        return p.toString();
    }

    private static void process(final PrometheusText p, final EngineStats s) {
        p.family("niolb_uptime_seconds", Type.GAUGE, "Seconds since the engine started.")
            .sample(s.uptimeMs() / 1000.0);
        p.family("niolb_event_loops", Type.GAUGE, "Relay event loops (threads).").sample(s.loops());
        p.family("niolb_sessions", Type.GAUGE, "TCP sessions and UDP flows open now, over every listener.")
            .sample(s.sessions());
        p.family("niolb_buffers_in_use", Type.GAUGE, "Pooled relay buffers held by sessions now.")
            .sample(s.buffersInUse());
        p.family("niolb_direct_memory_bytes", Type.GAUGE, "Direct memory used by the JVM's direct buffers.")
            .sample(s.directMemoryBytes());
        p.family("niolb_access_log_lines_total", Type.COUNTER, "Access log lines queued for writing.")
            .sample(s.accessLogLines());
        p.family("niolb_access_log_dropped_total", Type.COUNTER,
            "Access log lines dropped because the log could not keep up.").sample(s.accessLogDropped());
    }

    private static void listeners(final PrometheusText p, final EngineStats s) {
        p.family("niolb_listener_accepted_total", Type.COUNTER,
            "TCP connections accepted; for UDP listeners, flows opened.");
        for (final EngineStats.ListenerStats l : s.listeners()) {
            p.sample(l.accepted(), "listener", l.name(), "protocol", l.protocol());
        }
        p.family("niolb_listener_active_connections", Type.GAUGE, "Sessions (UDP: flows) open now.");
        for (final EngineStats.ListenerStats l : s.listeners()) {
            p.sample(l.active(), "listener", l.name(), "protocol", l.protocol());
        }
        p.family("niolb_listener_bytes_total", Type.COUNTER,
            "Bytes relayed: in from clients towards servers, out from servers to clients.");
        for (final EngineStats.ListenerStats l : s.listeners()) {
            p.sample(l.bytesIn(), "listener", l.name(), "protocol", l.protocol(), "direction", "in");
            p.sample(l.bytesOut(), "listener", l.name(), "protocol", l.protocol(), "direction", "out");
        }
        p.family("niolb_listener_connect_failures_total", Type.COUNTER,
            "Connect tries to servers that failed (UDP: ICMP port unreachable); each was retried or ended its session.");
        for (final EngineStats.ListenerStats l : s.listeners()) {
            p.sample(l.connectFailures(), "listener", l.name(), "protocol", l.protocol());
        }
        p.family("niolb_listener_sessions_ended_total", Type.COUNTER,
            "Sessions (UDP: flows) ended, by how: no_server and no_buffer are sessions refused for want of a "
                + "server or of memory.");
        for (final EngineStats.ListenerStats l : s.listeners()) {
            for (final Map.Entry<String, Long> e : l.ended().entrySet()) {
                p.sample(e.getValue(), "listener", l.name(), "protocol", l.protocol(), "reason", e.getKey());
            }
        }
        p.family("niolb_listener_rejected_total", Type.COUNTER,
            "TCP connections refused at accept (acl, source_limit, source_rate) or for their PROXY header.");
        for (final EngineStats.ListenerStats l : s.listeners()) {
            for (final Map.Entry<String, Long> e : l.rejected().entrySet()) {
                p.sample(e.getValue(), "listener", l.name(), "protocol", l.protocol(), "reason", e.getKey());
            }
        }
        p.family("niolb_listener_datagrams_dropped_total", Type.COUNTER, "UDP datagrams not forwarded, by why.");
        for (final EngineStats.ListenerStats l : s.listeners()) {
            for (final Map.Entry<String, Long> e : l.dropped().entrySet()) {
                p.sample(e.getValue(), "listener", l.name(), "protocol", l.protocol(), "reason", e.getKey());
            }
        }
        p.family("niolb_listener_session_seconds", Type.SUMMARY,
            "Session (UDP: flow) durations from accept to close; quantiles over the last minute.");
        for (final EngineStats.ListenerStats l : s.listeners()) {
            p.summary(l.durations(), "listener", l.name(), "protocol", l.protocol());
        }
    }

    private static void groups(final PrometheusText p, final EngineStats s) {
        p.family("niolb_group_servers", Type.GAUGE, "Servers in the group.");
        for (final EngineStats.GroupStats g : s.groups()) {
            p.sample(g.servers().size(), "group", g.name());
        }
        p.family("niolb_group_servers_up", Type.GAUGE, "Servers of the group in state up.");
        for (final EngineStats.GroupStats g : s.groups()) {
            p.sample(g.serversUp(), "group", g.name());
        }
        p.family("niolb_group_backups_active", Type.GAUGE, "1 while the group's backup servers take new sessions.");
        for (final EngineStats.GroupStats g : s.groups()) {
            p.sample(g.backupsActive() ? 1 : 0, "group", g.name());
        }
    }

    private static void servers(final PrometheusText p, final EngineStats s) {
        p.family("niolb_server_state", Type.GAUGE, "1 for the state the server is in (up, down, drain, maint), 0 for the others.");
        for (final EngineStats.GroupStats g : s.groups()) {
            for (final EngineStats.ServerStats v : g.servers()) {
                for (final ServerState state : ServerState.values()) {
                    final String name = EngineStats.stateName(state);
                    p.sample(name.equals(v.state()) ? 1 : 0, "group", g.name(), "server", v.name(), "state", name);
                }
            }
        }
        serverGauge(p, s, "niolb_server_weight", "The operator weight (0 takes no new sessions).", v -> v.weight());
        serverGauge(p, s, "niolb_server_effective_weight",
            "The weight balancers use now: weight times agent percentage and slow-start ramp; 0 while the server "
                + "takes no new sessions.", v -> v.effectiveWeight() / 1000.0);
        serverGauge(p, s, "niolb_server_active_connections", "Sessions (UDP: flows) open to the server now.",
            v -> v.active());
        serverCounter(p, s, "niolb_server_connections_total", "Sessions (UDP: flows) the server has taken.",
            v -> v.total());
        serverCounter(p, s, "niolb_server_connect_failures_total",
            "Connects to the server that failed (refused, unreachable, timed out; UDP: port unreachable).",
            v -> v.connectFailures());
        p.family("niolb_server_bytes_total", Type.COUNTER,
            "Bytes relayed: in from clients to the server, out from the server to clients.");
        for (final EngineStats.GroupStats g : s.groups()) {
            for (final EngineStats.ServerStats v : g.servers()) {
                p.sample(v.bytesIn(), "group", g.name(), "server", v.name(), "direction", "in");
                p.sample(v.bytesOut(), "group", g.name(), "server", v.name(), "direction", "out");
            }
        }
        p.family("niolb_server_connect_seconds", Type.SUMMARY,
            "TCP connect times to the server; quantiles over the last minute.");
        for (final EngineStats.GroupStats g : s.groups()) {
            for (final EngineStats.ServerStats v : g.servers()) {
                p.summary(v.connect(), "group", g.name(), "server", v.name());
            }
        }
        p.family("niolb_server_session_seconds", Type.SUMMARY,
            "Durations of the server's sessions (UDP: flows) from accept to close; quantiles over the last minute.");
        for (final EngineStats.GroupStats g : s.groups()) {
            for (final EngineStats.ServerStats v : g.servers()) {
                p.summary(v.session(), "group", g.name(), "server", v.name());
            }
        }
        p.family("niolb_server_udp_reply_seconds", Type.SUMMARY,
            "UDP: time from a datagram sent to the server to its first reply; quantiles over the last minute.");
        for (final EngineStats.GroupStats g : s.groups()) {
            for (final EngineStats.ServerStats v : g.servers()) {
                p.summary(v.reply(), "group", g.name(), "server", v.name());
            }
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

    private static void perServer(final PrometheusText p, final EngineStats s, final Value value) {
        for (final EngineStats.GroupStats g : s.groups()) {
            for (final EngineStats.ServerStats v : g.servers()) {
                p.sample(value.of(v), "group", g.name(), "server", v.name());
            }
        }
    }
}
