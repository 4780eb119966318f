package dev.niolb.admin;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Endpoint;
import dev.niolb.config.ListenerConfig;
import dev.niolb.json.JsonWriter;
import dev.niolb.backend.Server;
import dev.niolb.backend.TargetGroup;
import dev.niolb.engine.RunningState;
import dev.niolb.listener.Listener;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /ready}: whether this niolb should be sent traffic, for a container's HEALTHCHECK or a readiness
 * probe. Ready when it is not stopping (nor withdrawn for a shutdown delay), every configured listener is bound, and every group has a server that
 * takes new sessions (UP with a weight above 0; a server at its maxconn still counts: it takes sessions again
 * as soon as one ends). The reasons say, one line each, what was found: on 503 only what is wrong.
 *
 * <p>Threading: admin threads; it only reads the engine's volatile snapshots, listeners, groups and config from
 * one {@link RunningState}.
 *
 * @param ready   whether to answer 200
 * @param reasons one line per check: all of them when ready, the failing ones when not
 */
record Readiness(boolean ready, List<String> reasons) {

    static Readiness of(final LoadBalancer lb) {
        if (lb.stopping()) {
            return new Readiness(false, List.of("stopping: no new sessions are accepted"));
        }
        if (lb.withdrawn()) {
            return new Readiness(false, List.of("shutting down: new sessions are still accepted until the listeners"
                + " close (after the shutdown delay, if one is set), so that health checks upstream withdraw this"
                + " instance first"));
        }
        final List<String> good = new ArrayList<>();
        final List<String> bad = new ArrayList<>();
        final RunningState running = lb.running();
        final Map<String, InetSocketAddress> bound = new HashMap<>();
        for (final Listener l : running.listeners()) {
            bound.put(l.name(), l.localAddress());
        }
        for (final ListenerConfig l : running.config().listeners()) {
            final InetSocketAddress at = bound.get(l.name());
            if (at == null) {
                bad.add("listener " + l.name() + ": not bound");
            } else {
                good.add("listener " + l.name() + ": bound to " + Endpoint.hostPort(at));
            }
        }
        for (final TargetGroup g : running.groups().values()) {
            final Server[] servers = g.snapshot().servers();
            int taking = 0;
            for (final Server s : servers) {
                // UP only: in a group in panic DOWN servers take sessions too, but they do not make it ready
                if (s.state() == dev.niolb.backend.ServerState.UP && s.effectiveWeight() > 0) {
                    taking++;
                }
            }
            if (taking > 0) {
                good.add("group " + g.name() + ": " + taking + " of " + servers.length + " servers take sessions"
                    + (g.panic() ? " (in panic: DOWN servers take sessions too)" : ""));
            } else if (servers.length == 0) {
                bad.add("group " + g.name() + ": no servers");
            } else {
                final List<String> states = new ArrayList<>();
                for (final Server s : servers) {
                    states.add(s.name() + " " + s.state().name().toLowerCase(java.util.Locale.ROOT)
                        + (s.weight() == 0 ? " weight 0" : ""));
                }
                bad.add("group " + g.name() + ": no server takes sessions (" + String.join(", ", states) + ")"
                    + (g.panic() ? "; in panic, DOWN servers are tried" : ""));
            }
        }
        return bad.isEmpty() ? new Readiness(true, good) : new Readiness(false, bad);
    }

    /** {@code {"ready": true|false, "reasons": [...]}}. */
    String json() {
        final JsonWriter json = new JsonWriter().beginObject().field("ready", ready).name("reasons").beginArray();
        for (final String r : reasons) {
            json.value(r);
        }
        return json.endArray().endObject().toString();
    }
}
