package dev.niolb.target;

import dev.niolb.balance.MaglevTable;
import dev.niolb.config.Algorithm;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;

import java.util.List;

/**
 * A named group of servers behind one or more listeners.
 *
 * <p>Threading: the server list is an immutable snapshot behind a volatile reference. Writers (reload, admin,
 * health) publish a new {@link Snapshot}; event loops read it on every pick and rebuild their per-loop
 * balancer state when it changed.
 */
public final class TargetGroup {
    private final String name;
    private volatile Snapshot snapshot;

    public TargetGroup(final TargetGroupConfig config, final int stripes) {
        this.name = config.name();
        final List<ServerConfig> configs = config.servers();
        final Server[] servers = new Server[configs.size()];
        for (int i = 0; i < servers.length; i++) {
            servers[i] = new Server(i, configs.get(i), stripes);
        }
        this.snapshot = new Snapshot(0, config.balance(), servers);
    }

    public String name() {
        return name;
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    /** Publishes a new membership; the next pick on every loop sees it. */
    public void publish(final Algorithm balance, final Server[] servers) {
        this.snapshot = new Snapshot(snapshot.version() + 1, balance, servers.clone());
    }

    /**
     * One immutable view of the group: servers in a stable order (index = position).
     * The array must not be modified; it is exposed for allocation-free iteration on the hot path.
     */
    public static final class Snapshot {
        private final long version;
        private final Algorithm balance;
        private final Server[] servers;
        private volatile MaglevTable maglev;

        Snapshot(final long version, final Algorithm balance, final Server[] servers) {
            this.version = version;
            this.balance = balance;
            this.servers = servers;
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
