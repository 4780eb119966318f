package dev.niolb.backend;

import dev.niolb.balance.MaglevTable;
import dev.niolb.config.Algorithm;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A named group of servers behind one or more listeners.
 *
 * <p>Threading: the server list is an immutable snapshot behind a volatile reference. Writers (reload, admin,
 * health, DNS) publish a new {@link Snapshot}; event loops read it on every pick and rebuild their per-loop
 * balancer state when it changed. Server states and weights change in place (see {@link Server}); a change of
 * a weight that Maglev tables are built from publishes a new snapshot, so {@code source} builds a new table.
 * Every writer serialises on one monitor (the group's {@link Failover}): membership, algorithm and server
 * states change together or not at all, and a snapshot never loses another writer's change. The listeners
 * are volatile references, set once by the health checker.
 *
 * <p>Membership at run time: {@link #add} puts a server in the next snapshot; {@link #remove} takes it out of
 * the next snapshot and puts it in DRAIN, so it takes no new session while its sessions (which hold the
 * {@link Server} itself) finish; it stays {@link #retiring()} until it has no session left and the health
 * checker {@link #forget forgets} it. A server is the same server across snapshots as long as its name and
 * address are the same: its state, counters, failure run and slow start live in the object and carry over.
 */
public final class TargetGroup {
    private static final Logger LOG = LoggerFactory.getLogger(TargetGroup.class);

    private final String name;
    private final int stripes;
    private final Failover failover;
    private final List<Server> retiring = new ArrayList<>(); // under the failover's monitor
    // a change in progress publishes one snapshot for every table weight it changes (a new snapshot a server, each
    // built from every server, made a reload that replaced 15,000 servers take minutes); under the failover's monitor
    private boolean deferRepublish;
    private boolean republishDeferred;
    private volatile HealthCheckConfig health;
    private volatile Snapshot snapshot;
    private volatile FailureListener failureListener;
    private volatile MembershipListener membershipListener = MembershipListener.NONE;
    private volatile java.util.function.BiConsumer<String, Server> onJoining = (group, server) -> { };

    public TargetGroup(final TargetGroupConfig config, final int stripes) {
        this.name = config.name();
        this.stripes = stripes;
        this.health = config.health();
        this.failover = new Failover(name, config.health().slowStart().toNanos(), config.health().panicThreshold());
        failover.firstBackupOnly(config.health().firstBackupOnly()); // before any server: nothing to publish yet
        final List<ServerConfig> configs = config.servers();
        final Server[] servers = new Server[configs.size()];
        for (int i = 0; i < servers.length; i++) {
            servers[i] = new Server(i, configs.get(i), stripes, failover);
        }
        failover.servers(servers);
        this.snapshot = new Snapshot(0, config.balance(), servers, config.hashBalanceFactor());
        failover.onTableWeights(this::republish);
    }

    /** Hears of servers joining and leaving the group (the health checker starts and stops their checks). */
    public interface MembershipListener {
        MembershipListener NONE = new MembershipListener() {
            @Override
            public void added(final Server server) {
            }

            @Override
            public void removed(final Server server) {
            }
        };

        /** {@code server} joined (or rejoined) the group. Called under the group's monitor: must not block. */
        void added(Server server);

        /** {@code server} left the group and is draining. Called under the group's monitor: must not block. */
        void removed(Server server);
    }

    /**
     * Called with each new server (not one back from retiring) as a change creates it, before any snapshot shows
     * it: an operator mode a state file kept for a server by DNS name applies before it takes a session (black-box
     * testing, session 30: set 2 ms after it joined). Any thread; set once the engine is built.
     */
    public void onJoining(final java.util.function.BiConsumer<String, Server> listener) {
        this.onJoining = java.util.Objects.requireNonNull(listener, "listener");
    }

    /** Sets who hears of membership changes (the health checker); once, before traffic. */
    public void membershipListener(final MembershipListener listener) {
        this.membershipListener = listener == null ? MembershipListener.NONE : listener;
    }

    /**
     * Adds a server to the group; it takes new sessions from the next pick (under slow start, if configured,
     * it ramps up first). A server removed a moment ago with the same name and address that still has sessions
     * comes back as itself, with its counters and the operator mode it had.
     *
     * @throws IllegalArgumentException when the group already has a server of that name
     */
    public Server add(final ServerConfig config) {
        return change(List.of(), List.of(config)).getFirst();
    }

    /**
     * Takes a server out of the group: it takes no new session from the next pick, its sessions go on (a paced
     * drain closes them if the group has a drain timeout) and it is forgotten once it has none.
     *
     * @return the server, now retiring
     * @throws IllegalArgumentException when the group has no server of that name
     */
    public Server remove(final String serverName) {
        synchronized (failover) {
            final Server server = snapshot.server(serverName);
            change(List.of(serverName), List.of());
            return server;
        }
    }

    /**
     * {@link #change} as a reload applies it, against whatever the group holds when the writer lock is taken: the
     * reload read the group's snapshot earlier, and an operator's admin call may have removed or added a server
     * since. A name to remove that is gone already is skipped; a member holding a name the reload adds leaves
     * (the name is the file's). Without this, such a race failed the reload halfway (issue 17 review).
     *
     * @return the servers added, in order
     */
    public List<Server> reconcile(final List<String> remove, final List<ServerConfig> add) {
        synchronized (failover) {
            final Snapshot s = snapshot;
            final java.util.Set<String> leaving = new java.util.LinkedHashSet<>(); // in order, each once
            for (final String serverName : remove) {
                if (s.server(serverName) != null) {
                    leaving.add(serverName);
                }
            }
            for (final ServerConfig config : add) {
                if (s.server(config.name()) != null) {
                    leaving.add(config.name());
                }
            }
            return change(new ArrayList<>(leaving), add);
        }
    }

    /**
     * The whole group leaves (a reload removed it): every server drains like any removed one, without the
     * warning that the group has no server that takes new sessions, which would read as an outage to whoever
     * alerts on warnings (session 21).
     */
    public void retire() {
        failover.retire();
        final List<String> all = new ArrayList<>();
        for (final Server server : snapshot().servers()) {
            all.add(server.name());
        }
        change(all, List.of());
    }

    /**
     * Removes and adds servers in one step, as {@link #remove} and {@link #add} would, published as one new
     * snapshot: the servers that join take sessions (their weights are published) before the snapshot shows
     * them, and the servers that leave go to DRAIN only after it no longer does, so a pick never finds the
     * group empty in between, even when every server is replaced. A name may be both removed and added (a
     * server that moved to a new address). Nothing changes when a name is wrong.
     *
     * @return the servers added, in order
     * @throws IllegalArgumentException when a server to remove is not in the group, or one to add has the name
     *                                  of a member that stays
     */
    public List<Server> change(final List<String> remove, final List<ServerConfig> add) {
        synchronized (failover) {
            final Snapshot s = snapshot;
            // sets and maps, not list scans: a reload that replaced 15,000 servers took minutes (black-box testing,
            // session 33)
            final java.util.Set<Server> leaving = new java.util.LinkedHashSet<>();
            for (final String serverName : remove) {
                final Server server = s.server(serverName);
                if (server == null) {
                    throw new IllegalArgumentException("group '" + name + "' has no server named '" + serverName + "'");
                }
                leaving.add(server);
            }
            final java.util.Set<String> names = new java.util.HashSet<>();
            for (final ServerConfig config : add) {
                final Server member = s.server(config.name());
                if (member != null && !leaving.contains(member) || !names.add(config.name())) {
                    throw new IllegalArgumentException("group '" + name + "' already has a server named '"
                        + config.name() + "'");
                }
            }
            final java.util.BitSet used = new java.util.BitSet(); // indexes of members, retiring and joining servers
            for (final Server m : s.servers()) {
                used.set(m.index());
            }
            for (final Server r : retiring) {
                used.set(r.index());
            }
            final List<Server> joining = new ArrayList<>();
            final List<Boolean> rejoined = new ArrayList<>();
            deferRepublish = true; // each server's table weight changes below: one snapshot for them all, after
            try {
                final java.util.Map<String, Server> retiringByName = new java.util.HashMap<>();
                for (final Server r : retiring) {
                    retiringByName.put(r.name(), r); // the last of a name, as the scan found it
                }
                for (final ServerConfig config : add) {
                    final Server named = retiringByName.get(config.name());
                    Server server = named != null && named.sameAs(config) ? named : null;
                    if (server == null && named != null) {
                        for (final Server r : retiring) { // an older one of the name at this address: rare
                            if (r.sameAs(config)) {
                                server = r;
                            }
                        }
                    }
                    final boolean rejoining = server != null;
                    if (rejoining) {
                        retiring.remove(server);
                        retiringByName.remove(server.name(), server);
                    } else {
                        server = new Server(used.nextClearBit(0), config, stripes, failover);
                        used.set(server.index());
                        // before any snapshot shows it: a mode kept for it applies first
                        onJoining.accept(name, server);
                    }
                    failover.add(server, rejoining); // takes sessions as soon as a snapshot shows it
                    if (rejoining && !server.config().equals(config)) {
                        server.reconfigure(config);
                    }
                    joining.add(server);
                    rejoined.add(rejoining);
                }
                final List<Server> next = new ArrayList<>();
                for (final Server m : s.servers()) {
                    if (!leaving.contains(m)) {
                        next.add(m);
                    }
                }
                next.addAll(joining);
                publish(s.balance(), next.toArray(new Server[0]), s.hashBalanceFactor());
                for (final Server server : leaving) {
                    // DRAIN after the snapshot without it: a loop still on the old one may give it a session, which
                    // is fine (it finishes there), where DRAIN first could leave such a loop with no server at all
                    failover.remove(server);
                    retiring.add(server);
                }
            } finally {
                deferRepublish = false;
                if (republishDeferred) {
                    republishDeferred = false;
                    republish();
                }
            }
            for (int i = 0; i < joining.size(); i++) {
                final Server server = joining.get(i);
                membershipListener.added(server);
                LOG.info("group {}: server {} {} (weight {}{})", name, server, rejoined.get(i) ? "back" : "added",
                    server.weight(), server.backup() ? ", backup" : "");
            }
            for (final Server server : leaving) {
                membershipListener.removed(server);
                final long open = server.active();
                LOG.info("group {}: server {} removed: takes no new sessions{}", name, server, open == 0
                    ? ", and has none open" : open == 1 ? ", its 1 open session goes on"
                    : ", its " + open + " open sessions go on");
            }
            return joining;
        }
    }

    /**
     * The config changed the settings of a member (same name and address): weight (when the config's weight
     * changed; a weight set at run time otherwise stays), backup, check port.
     *
     * @throws IllegalArgumentException when the group has no such server
     */
    public Server update(final ServerConfig config) {
        synchronized (failover) {
            final Server server = snapshot.server(config.name());
            if (server == null || !server.sameAs(config)) {
                throw new IllegalArgumentException("group '" + name + "' has no server '" + config.name() + "' at "
                    + dev.niolb.config.Endpoint.hostPort(config.address()));
            }
            server.reconfigure(config);
            return server;
        }
    }

    /**
     * Changes the algorithm (and, for {@code source}, the bounded-load factor) for new sessions. Balancers keep
     * their position when the algorithm stays the same.
     */
    public void balance(final Algorithm balance, final int hashBalanceFactor) {
        TargetGroupConfig.checkHashBalanceFactor(balance, hashBalanceFactor);
        synchronized (failover) {
            final Snapshot s = snapshot;
            if (s.balance() != balance || s.hashBalanceFactor() != hashBalanceFactor) {
                publish(balance, s.servers(), hashBalanceFactor);
            }
        }
    }

    /**
     * New health settings: slow start applies to servers that come back from now on, passive detection to the
     * next failure. The health checker restarts the group's checks with them.
     */
    public void health(final HealthCheckConfig next) {
        synchronized (failover) {
            this.health = java.util.Objects.requireNonNull(next, "health");
            failover.slowStartNanos(next.slowStart().toNanos());
            failover.panicThreshold(next.panicThreshold());
            failover.firstBackupOnly(next.firstBackupOnly());
        }
    }

    /** Servers taken out of the group that still have sessions. */
    public List<Server> retiring() {
        synchronized (failover) {
            return List.copyOf(retiring);
        }
    }

    /**
     * Forgets a retiring server that has no session left (the health checker calls it).
     *
     * @return false when it is not retiring (any more): it was added back meanwhile
     */
    public boolean forget(final Server server) {
        synchronized (failover) {
            return retiring.remove(server);
        }
    }

    /** How this group's servers are checked. */
    public HealthCheckConfig health() {
        return health;
    }

    /**
     * The passive side of health: a relay loop saw {@link HealthCheckConfig#maxFails()} connects in a row fail.
     * Implementations hand the news to their own thread; they must not block or lock.
     */
    @FunctionalInterface
    public interface FailureListener {
        /** @param datagram the last failure was a UDP flow's (ICMP port unreachable), not a TCP connect's */
        void onConsecutiveFailures(Server server, int failures, String lastError, boolean datagram);
    }

    /** Sets who hears of passive failures (the health checker); once, before traffic. */
    public void failureListener(final FailureListener listener) {
        this.failureListener = listener;
    }

    /** Called when a server returns to UP under slow start (the health checker ramps it). */
    public void onRampStart(final Consumer<Server> listener) {
        failover.onRampStart(listener);
    }

    /** Called when a server enters DRAIN (the health checker closes its sessions after the drain timeout). */
    public void onDrainStart(final Consumer<Server> listener) {
        failover.onDrainStart(listener);
    }

    /** {@code listener} hears of each server that goes DOWN (on the thread that took it DOWN). */
    public void onDown(final Consumer<Server> listener) {
        failover.onDown(listener);
    }

    /**
     * A connect to {@code server} failed during real traffic. Relay loop; lock-free. At {@code maxFails} in a row
     * the failure listener hears of it, and again at every further {@code maxFails}: a server kept UP as the
     * last that takes sessions (fail-open) is judged again once others are back, not left UP for the rest of
     * its failures (black-box testing, session 22).
     */
    public void connectFailed(final Server server, final String why) {
        connectFailed(server, why, false);
    }

    /** As {@link #connectFailed(Server, String)}; {@code datagram}: a UDP flow's server answered port unreachable. */
    public void connectFailed(final Server server, final String why, final boolean datagram) {
        final int threshold = health.maxFails();
        if (threshold > 0) {
            final int run = server.connectFailed(datagram);
            final FailureListener listener = failureListener;
            if (run % threshold == 0 && listener != null) {
                if (!lastTakingSessions(server)) {
                    server.awaitJudgement(); // at once on every loop; the health loop's verdict is a wake-up away
                }
                listener.onConsecutiveFailures(server, run, why, datagram);
            }
        }
    }

    /**
     * Whether no other server of the group could take sessions if {@code server} went DOWN: none UP with a weight,
     * backups included (a backup stands by while a primary takes sessions, and takes over when it goes DOWN).
     * Such a server is kept UP through passive failures (fail-open). Any thread.
     */
    public boolean lastTakingSessions(final Server server) {
        for (final Server other : snapshot.servers()) {
            if (other != server && other.state() == ServerState.UP && other.weight() > 0) {
                return false;
            }
        }
        return server.effectiveWeight() > 0;
    }

    /**
     * Whether the group is in panic: fewer than its panic threshold of primary servers are UP, so DOWN servers
     * take new sessions too (see {@link HealthCheckConfig#panicThreshold()}). Any thread; one volatile read.
     */
    public boolean panic() {
        return failover.panic();
    }

    /** Whether backup servers take new sessions now (no primary server can). */
    public boolean backupsActive() {
        synchronized (failover) {
            return failover.backupsActive();
        }
    }

    private void republish() {
        synchronized (failover) {
            if (deferRepublish) {
                republishDeferred = true;
                return;
            }
            final Snapshot s = snapshot;
            publish(s.balance(), s.servers(), s.hashBalanceFactor());
        }
    }

    public String name() {
        return name;
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    /** Publishes a new membership; the next pick on every loop sees it. */
    public void publish(final Algorithm balance, final Server[] servers) {
        synchronized (failover) {
            publish(balance, servers, snapshot.hashBalanceFactor());
        }
    }

    private void publish(final Algorithm balance, final Server[] servers, final int hashBalanceFactor) {
        this.snapshot = new Snapshot(snapshot.version() + 1, balance, servers.clone(), hashBalanceFactor);
    }

    /**
     * One immutable view of the group: servers in a stable order (index = position).
     * The array must not be modified; it is exposed for allocation-free iteration on the hot path.
     */
    public static final class Snapshot {
        private final long version;
        private final Algorithm balance;
        private final Server[] servers;
        private final int hashBalanceFactor;
        private final MaglevTable maglev;
        private final org.agrona.collections.LongHashSet v4Addresses; // ipv4Key of the IPv4 servers' addresses
        private final java.util.Set<InetSocketAddress> v6Addresses;
        private final java.util.Map<String, Server> byName; // server(name) a reload asks per server: no scan

        Snapshot(final long version, final Algorithm balance, final Server[] servers, final int hashBalanceFactor) {
            this.version = version;
            this.balance = balance;
            this.servers = servers;
            this.hashBalanceFactor = hashBalanceFactor;
            // an IPv4 address and port as one long, not InetSocketAddress, whose hash is the address plus the port:
            // servers on consecutive addresses and ports (127.0.17.1..250 on 20100..20251) shared a few hundred
            // hashes among thousands, and Set.copyOf's probing took seconds for 38,000 servers
            final org.agrona.collections.LongHashSet v4 = new org.agrona.collections.LongHashSet();
            final java.util.Set<InetSocketAddress> v6 = new java.util.HashSet<>();
            for (final Server s : servers) {
                if (s.address().getAddress() instanceof java.net.Inet4Address) {
                    v4.add(ipv4Key(s.address()));
                } else {
                    v6.add(s.address());
                }
            }
            this.v4Addresses = v4;
            this.v6Addresses = v6;
            final java.util.Map<String, Server> names = new java.util.HashMap<>();
            for (final Server s : servers) {
                names.putIfAbsent(s.name(), s); // the first of a name, as a scan finds it
            }
            this.byName = names;
            // built here, by the thread that publishes the snapshot (reload, admin, health), not by the first
            // relay loop to pick from it: a table takes milliseconds, and a relay loop has sessions to serve
            this.maglev = balance == Algorithm.SOURCE ? MaglevTable.build(servers) : null;
        }

        /** For {@code source}: the most a server takes, in percent of the average load; 0 for no bound. */
        public int hashBalanceFactor() {
            return hashBalanceFactor;
        }

        public long version() {
            return version;
        }

        public Algorithm balance() {
            return balance;
        }

        public Server[] servers() {
            return servers;
        }

        /**
         * The Maglev table of this snapshot when its group balances by {@code source}, else null: immutable,
         * shared by every loop, and built when the snapshot was made (see the constructor).
         */
        public MaglevTable maglevTable() {
            return maglev;
        }

        /**
         * Whether {@code peer} is the address and port of one of these servers: a datagram from there that opened a
         * flow would have the server's replies sent to the server itself. (The JDK gives an IPv4-mapped IPv6
         * address as its IPv4 one, so the two spellings are one key.) A lookup: for each new UDP flow.
         */
        public boolean isServerAddress(final InetSocketAddress peer) {
            return peer.getAddress() instanceof java.net.Inet4Address ? v4Addresses.contains(ipv4Key(peer))
                : v6Addresses.contains(peer);
        }

        /** An IPv4 address and its port as one long; no allocation (Inet4Address.hashCode() is its address). */
        private static long ipv4Key(final InetSocketAddress a) {
            return (a.getAddress().hashCode() & 0xFFFF_FFFFL) << 16 | a.getPort();
        }

        /**
         * Whether a server of these sends a PROXY v2 header before a flow's first datagram (a datagram then is not
         * empty when it reaches the server). A walk over the servers: for an empty datagram opening a flow only.
         */
        public boolean anySendsProxyV2() {
            for (final Server s : servers) {
                if (s.sendProxy().version() == dev.niolb.config.SendProxy.Version.V2) {
                    return true;
                }
            }
            return false;
        }

        public Server server(final String serverName) {
            return byName.get(serverName);
        }
    }
}
