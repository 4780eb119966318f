package dev.niolb.admin;

import dev.niolb.json.JsonWriter;
import dev.niolb.session.SessionInfo;
import dev.niolb.metrics.LatencyRecorder;
import dev.niolb.metrics.LatencySnapshot;
import dev.niolb.config.Endpoint;

import java.util.List;
import java.util.Map;

/**
 * The JSON documents of the admin API: {@code /api/stats} (what the stats page and {@code niolb stats} show),
 * {@code /api/connections}, a server after a change, and errors. Keys are snake case and in a fixed order;
 * times in ms, bytes in bytes; a latency without data in its window has null quantiles.
 */
final class StatsJson {
    private StatsJson() {
    }

    static String stats(final EngineStats s) {
        final JsonWriter json = new JsonWriter(new StringBuilder(4096)).beginObject()
            .field("uptime_ms", s.uptimeMs())
            .field("loops", s.loops())
            .field("sessions", s.sessions())
            .field("maxconn", s.maxconn())
            .field("maxconn_open", s.maxconnOpen())
            .field("buffers_in_use", s.buffersInUse())
            .field("pipes_in_use", s.pipesInUse())
            .field("pipes_idle", s.pipesIdle())
            .field("direct_memory_bytes", s.directMemoryBytes())
            .field("access_log_lines", s.accessLogLines())
            .field("access_log_dropped", s.accessLogDropped())
            .field("access_log_lost", s.accessLogLost())
            .field("latency_window_s", LatencyRecorder.windowSeconds());
        listeners(json, "listeners", s.listeners());
        listeners(json, "retiring_listeners", s.retiringListeners());
        groups(json, "groups", s.groups());
        groups(json, "retiring_groups", s.retiringGroups());
        return json.endObject().toString();
    }

    /** Groups as {@code name}: an array of objects, the same fields for live and retiring ones. */
    private static void groups(final JsonWriter json, final String name, final List<EngineStats.GroupStats> groups) {
        json.name(name).beginArray();
        for (final EngineStats.GroupStats g : groups) {
            json.beginObject()
                .field("name", g.name())
                .field("balance", g.balance())
                .field("servers_up", g.serversUp())
                .field("backups_active", g.backupsActive())
                .field("panic", g.panic());
            json.name("servers").beginArray();
            for (final EngineStats.ServerStats v : g.servers()) {
                server(json, v);
            }
            json.endArray();
            json.name("retiring").beginArray();
            for (final EngineStats.ServerStats v : g.retiring()) {
                server(json, v);
            }
            json.endArray().endObject();
        }
        json.endArray();
    }

    /** Listeners as {@code name}: an array of objects, the same fields for live and retiring ones. */
    private static void listeners(final JsonWriter json, final String name,
                                  final List<EngineStats.ListenerStats> listeners) {
        json.name(name).beginArray();
        for (final EngineStats.ListenerStats l : listeners) {
            json.beginObject()
                .field("name", l.name())
                .field("protocol", l.protocol())
                .field("address", l.address())
                .field("group", l.group())
                .field("accepted", l.accepted())
                .field("active", l.active())
                .field("bytes_in", l.bytesIn())
                .field("bytes_out", l.bytesOut())
                .field("connect_failures", l.connectFailures());
            counts(json, "ended", l.ended());
            counts(json, "dropped", l.dropped());
            counts(json, "rejected", l.rejected());
            latency(json, "session_ms", l.durations());
            // what /metrics has beside: an operator who reads the JSON must not need the other to see it
            if (l.protocol().equals("tcp")) {
                json.field("maxconn", l.maxconn())
                    .field("accept_errors", l.acceptErrors())
                    .field("maxconn_pauses", l.maxconnPauses())
                    .field("maxconn_paused_ms", l.maxconnPausedMs());
            } else {
                json.field("max_flows", l.maxconn())
                    .field("datagrams_in", l.datagramsIn())
                    .field("datagrams_out", l.datagramsOut())
                    .field("receive_errors", l.receiveErrors())
                    .field("flows_moved", l.flowsMoved());
            }
            json.field("proxy_headers", l.proxyHeaders())
                .field("proxy_direct", l.proxyDirect());
            json.endObject();
        }
        json.endArray();
    }

    static void server(final JsonWriter json, final EngineStats.ServerStats v) {
        json.beginObject()
            .field("name", v.name())
            .field("address", v.address())
            .field("state", v.state())
            // since when and why: what HAProxy's show stat says in lastchg and check_status (black-box testing,
            // session 35: the reason was only in the log)
            .field("state_for_s", v.stateForMs() / 1000)
            .field("state_reason", v.stateReason())
            // what decides the state, each on its own: a drain set on a DOWN server showed nowhere but in the
            // state file, and came back as DRAIN when the server recovered (black-box testing, session 34)
            .field("operator_mode", v.operatorMode())
            .field("health", v.healthy() ? "up" : "down")
            .field("agent_mode", v.agentMode())
            .field("weight", v.weight())
            .field("effective_weight", v.effectiveWeight() / 1000.0)
            .field("backup", v.backup())
            .field("active", v.active())
            .field("total", v.total())
            .field("connect_failures", v.connectFailures())
            .field("bytes_in", v.bytesIn())
            .field("bytes_out", v.bytesOut());
        latency(json, "connect_ms", v.connect());
        latency(json, "session_ms", v.session());
        latency(json, "udp_reply_ms", v.reply());
        json.field("checks_passed", v.checksPassed())
            .field("checks_failed", v.checksFailed());
        counts(json, "state_changes", v.stateChanges());
        json.endObject();
    }

    static String connections(final List<SessionInfo> rows, final int total, final long nowEpochMs) {
        final JsonWriter json = new JsonWriter(new StringBuilder(128 + rows.size() * 160)).beginObject()
            .field("total", total)
            .field("shown", rows.size());
        json.name("connections").beginArray();
        for (final SessionInfo r : rows) {
            json.beginObject()
                .field("id", Long.toHexString(r.id()))
                .field("listener", r.listener())
                .field("client", Endpoint.hostPort(r.client()))
                .field("group", r.group())
                .field("server", r.server())
                .field("state", r.state())
                .field("age_ms", Math.max(0, nowEpochMs - r.startEpochMs()))
                .field("bytes_in", r.bytesIn())
                .field("bytes_out", r.bytesOut())
                .endObject();
        }
        return json.endArray().endObject().toString();
    }

    static String error(final String message) {
        return new JsonWriter().beginObject().field("error", message).endObject().toString();
    }

    private static void counts(final JsonWriter json, final String name, final Map<String, Long> counts) {
        json.name(name).beginObject();
        for (final Map.Entry<String, Long> e : counts.entrySet()) {
            json.field(e.getKey(), e.getValue());
        }
        json.endObject();
    }

    private static void latency(final JsonWriter json, final String name, final LatencySnapshot s) {
        json.name(name).beginObject()
            .field("count", s.count())
            .field("sum", s.sumMicros() / 1e3)
            .field("p50", LatencySnapshot.millis(s.p50Micros()))
            .field("p90", LatencySnapshot.millis(s.p90Micros()))
            .field("p99", LatencySnapshot.millis(s.p99Micros()))
            .field("max", LatencySnapshot.millis(s.maxMicros()))
            .endObject();
    }
}
