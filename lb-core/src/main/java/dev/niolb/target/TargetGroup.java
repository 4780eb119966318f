package dev.niolb.target;

import dev.niolb.balance.MaglevTable;
import dev.niolb.config.Algorithm;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;

import java.util.List;
import java.util.function.Consumer;

/**
 * A named group of servers behind one or more listeners.
 *
 * <p>Threading: the server list is an immutable snapshot behind a volatile reference. Writers (reload, admin,
 * health) publish a new {@link Snapshot}; event loops read it on every pick and rebuild their per-loop
 * balancer state when it changed. Server states and weights change in place (see {@link Server}); a change of
 * a weight that Maglev tables are built from publishes a new snapshot, so {@code source} builds a new table.
 * The passive-failure listener is a volatile reference, set once by the health checker.
 */
public final class TargetGroup {
    private final String name;
    private final HealthCheckConfig health;
    private final int hashBalanceFactor;
    private final Failover failover;
    private volatile Snapshot snapshot;
    private volatile FailureListener failureListener;

    public TargetGroup(final TargetGroupConfig config, final int stripes) {
        this.name = config.name();
        this.health = config.health();
        this.hashBalanceFactor = config.hashBalanceFactor();
        this.failover = new Failover(name, config.health().slowStart().toNanos());
        final List<ServerConfig> configs = config.servers();
        final Server[] servers = new Server[configs.size()];
        for (int i = 0; i < servers.length; i++) {
            servers[i] = new Server(i, configs.get(i), stripes, failover);
        }
        failover.servers(servers);
        this.snapshot = new Snapshot(0, config.balance(), servers, hashBalanceFactor);
        failover.onTableWeights(this::republish);
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
        void onConsecutiveFailures(Server server, int failures, String lastError);
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

    /**
     * A connect to {@code server} failed during real traffic. Relay loop; lock-free. After {@code maxFails}
     * in a row the failure listener hears of it once.
     */
    public void connectFailed(final Server server, final String why) {
        final int threshold = health.maxFails();
        if (threshold > 0 && server.connectFailed(threshold)) {
            final FailureListener listener = failureListener;
            if (listener != null) {
                listener.onConsecutiveFailures(server, threshold, why);
            }
        }
    }

    /** Whether backup servers take new sessions now (no primary server can). */
    public boolean backupsActive() {
        synchronized (failover) {
            return failover.backupsActive();
        }
    }

    private void republish() {
        final Snapshot s = snapshot;
        publish(s.balance(), s.servers());
    }

    public String name() {
        return name;
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    /** Publishes a new membership; the next pick on every loop sees it. */
    public synchronized void publish(final Algorithm balance, final Server[] servers) {
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
        private volatile MaglevTable maglev;

        Snapshot(final long version, final Algorithm balance, final Server[] servers, final int hashBalanceFactor) {
            this.version = version;
            this.balance = balance;
            this.servers = servers;
            this.hashBalanceFactor = hashBalanceFactor;
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
         * The Maglev table of this snapshot, built on first use and shared by every loop (it is immutable and
         * takes milliseconds to build). Two loops racing to build it build identical tables; one wins.
         */
        public MaglevTable maglevTable() {
            MaglevTable table = maglev;
            if (table == null) {
                table = MaglevTable.build(servers);
                maglev = table;
            }
            return table;
        }

        public Server server(final String serverName) {
            for (final Server s : servers) {
                if (s.name().equals(serverName)) {
                    return s;
                }
            }
            return null;
        }
    }
}
