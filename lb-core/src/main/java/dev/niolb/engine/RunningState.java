package dev.niolb.engine;

import dev.niolb.backend.TargetGroup;
import dev.niolb.config.Config;
import dev.niolb.listener.Listener;
import dev.niolb.metrics.SessionCounters;
import dev.niolb.tcp.TcpListener;
import dev.niolb.udp.UdpListener;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Immutable: built by the thread that starts or reloads the engine (under its stop lock), read from any thread.
 *
 * <p>What the engine runs now, as one value: the config, its groups and its listeners, and the listeners a reload
 * removed whose sessions were still open. A reload builds the next one and the engine publishes it with one
 * volatile write, so that a reader (the admin API, metrics, a test) that takes one snapshot sees one config with
 * its own groups and listeners, never a new listener list beside an old group map. Only the reload's
 * {@link #next} drops retired listeners: a read never changes anything.
 *
 * @param config    the config in force
 * @param groups    its groups by name, in config order
 * @param listeners its listeners, TCP and UDP, in config order
 * @param retired   listeners a reload removed that still had sessions open when it did: their sessions count as
 *                  active until they end (a later reload forgets those that have none left)
 * @param retiredGroups groups a reload removed whose servers still had sessions: shown until those end (a later
 *                  reload forgets those with none left)
 */
public record RunningState(Config config, Map<String, TargetGroup> groups, List<Listener> listeners,
                           List<Listener> retired, List<TargetGroup> retiredGroups) {

    public RunningState {
        groups = Collections.unmodifiableMap(new LinkedHashMap<>(groups));
        listeners = List.copyOf(listeners);
        retired = List.copyOf(retired);
        retiredGroups = List.copyOf(retiredGroups);
    }

    /** As a start makes it: nothing retired. */
    public RunningState(final Config config, final Map<String, TargetGroup> groups, final List<Listener> listeners) {
        this(config, groups, listeners, List.of(), List.of());
    }

    /**
     * The state after a reload: {@code config} with {@code groups} and {@code listeners}; the listeners it
     * {@code removed} join the retired ones, and retired ones with no session left are dropped. On the reload's
     * thread: the only place the retired list shrinks.
     */
    public RunningState next(final Config config, final Map<String, TargetGroup> groups,
                             final List<Listener> listeners, final List<Listener> removed,
                             final List<TargetGroup> removedGroups) {
        final List<Listener> candidates = new ArrayList<>();
        for (final Listener l : retired) {
            if (l.counters().active() > 0 && !listeners.contains(l)) {
                candidates.add(l);
            }
        }
        candidates.addAll(removed);
        // one listener per counters: a UDP listener a reload took back is live again, and a listener that
        // replaced another under its name counts on in its counters (Reconfiguration), so the old one's sessions
        // are counted and shown there, or, once that one is removed too, under the one removed last. A UDP one
        // whose flows hold its sockets stays all the same, not counted (see countedRetired)
        final Set<SessionCounters> counted = Collections.newSetFromMap(new IdentityHashMap<>());
        for (final Listener l : listeners) {
            counted.add(l.counters());
        }
        final List<Listener> stillRetired = new ArrayList<>();
        for (final Listener l : candidates.reversed()) {
            if (counted.add(l.counters()) || l.holdsSockets() && !listeners.contains(l)) {
                stillRetired.addFirst(l);
            }
        }
        final List<TargetGroup> groupsStillRetired = new ArrayList<>();
        for (final TargetGroup g : retiredGroups) {
            if (!g.retiring().isEmpty() && !groups.containsValue(g)) {
                groupsStillRetired.add(g);
            }
        }
        for (final TargetGroup g : removedGroups) {
            if (!g.retiring().isEmpty()) {
                groupsStillRetired.add(g);
            }
        }
        return new RunningState(config, groups, listeners, stillRetired, groupsStillRetired);
    }

    /** The TCP listeners, in config order. */
    public List<TcpListener> tcpListeners() {
        final List<TcpListener> tcp = new ArrayList<>();
        for (final Listener l : listeners) {
            if (l instanceof TcpListener t) {
                tcp.add(t);
            }
        }
        return List.copyOf(tcp);
    }

    /** The UDP listeners, in config order. */
    public List<UdpListener> udpListeners() {
        final List<UdpListener> udp = new ArrayList<>();
        for (final Listener l : listeners) {
            if (l instanceof UdpListener u) {
                udp.add(u);
            }
        }
        return List.copyOf(udp);
    }

    /** The listener (TCP or UDP) of that name, or null. */
    public Listener listener(final String name) {
        for (final Listener l : listeners) {
            if (l.name().equals(name)) {
                return l;
            }
        }
        return null;
    }

    /** The bound addresses of all listeners, TCP and UDP, in config order. */
    public List<InetSocketAddress> localAddresses() {
        final List<InetSocketAddress> bound = new ArrayList<>(listeners.size());
        for (final Listener l : listeners) {
            bound.add(l.localAddress());
        }
        return List.copyOf(bound);
    }

    /**
     * Sessions open now (TCP connecting or relaying, UDP flows) over every listener and loop, those of retired
     * listeners included. Only reads.
     */
    public long activeSessions() {
        long sum = 0;
        for (final Listener l : listeners) {
            sum += l.counters().active();
        }
        for (final Listener l : countedRetired()) {
            sum += l.counters().active();
        }
        return sum;
    }

    /**
     * The retired listeners whose counters no live listener holds, one per counters (the latest retired): what
     * stats show as retiring. A retired UDP listener whose flows a listener of its name counts on is kept in
     * {@link #retired} for its sockets only.
     */
    public List<Listener> countedRetired() {
        final Set<SessionCounters> counted = Collections.newSetFromMap(new IdentityHashMap<>());
        for (final Listener l : listeners) {
            counted.add(l.counters());
        }
        final List<Listener> shown = new ArrayList<>();
        for (final Listener l : retired.reversed()) {
            if (counted.add(l.counters())) {
                shown.addFirst(l);
            }
        }
        return shown;
    }
}
