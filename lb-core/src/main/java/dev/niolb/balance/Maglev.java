package dev.niolb.balance;

import dev.niolb.backend.Server;

/**
 * Source hashing with Maglev consistent hashing: a client's hash picks a slot of a {@link MaglevTable}, so the
 * same client IP reaches the same server on every pick and on every niolb instance built from the same servers.
 *
 * <p>Threading: threadsafe (no state of its own over an immutable table); one instance may serve every loop.
 *
 * <p>When the slot's server is excluded or takes no new sessions, the pick walks forward through the table to
 * the next slot whose server can: deterministic, so instances still agree, and spread over the other servers
 * in proportion to their slots because neighbouring slots belong to unrelated servers.
 *
 * <p>Bounded load (Mirrokni et al., "Consistent Hashing with Bounded Loads", 2018), with a balance factor
 * {@code c} in percent (e.g. 125): a server takes a new session only while its active sessions stay within
 * {@code c × (all active + 1) × its share of the weight}; otherwise the walk goes on to the next slot whose
 * server is under its bound. A client whose server is overloaded overflows to the same next server on every
 * instance that sees the same loads, and comes back when the load falls. The bound needs the sum of every
 * server's active sessions: one pass over the servers per pick, no allocation.
 */
final class Maglev implements Balancer {
    private final MaglevTable table;
    private final int balanceFactor;
    private final Server[] holders;

    Maglev(final MaglevTable table) {
        this(table, 0);
    }

    /** @param balanceFactor the bound in percent of the average load, above 100; 0 for none */
    Maglev(final MaglevTable table, final int balanceFactor) {
        this.table = table;
        this.balanceFactor = balanceFactor;
        this.holders = table.holders();
    }

    @Override
    public Server pick(final int clientHash, final long excluded) {
        if (balanceFactor > 0) {
            return pickBounded(clientHash, excluded);
        }
        final MaglevTable table = this.table;
        int slot = table.slotOf(clientHash);
        Server server = table.serverAt(slot);
        if (server == null) {
            return null;
        }
        if (server.acceptsNew() && !Balancer.isExcluded(server, excluded)) {
            return server;
        }
        // Without this check a group with nothing available would walk every slot before giving up.
        if (!table.anyAccepts(excluded)) {
            return null;
        }
        final int size = table.size();
        for (int walked = 1; walked < size; walked++) {
            if (++slot == size) {
                slot = 0;
            }
            server = table.serverAt(slot);
            if (server.acceptsNew() && !Balancer.isExcluded(server, excluded)) {
                return server;
            }
        }
        return null;
    }

    private Server pickBounded(final int clientHash, final long excluded) {
        long active = 0;
        long weights = 0;
        for (final Server s : holders) {
            final int w = s.effectiveWeight();
            if (w > 0) {
                active += s.active();
                weights += w;
            }
        }
        if (weights == 0) {
            return null;
        }
        // bound of server i: factor/100 * (active + 1) * w_i / weights, compared without division
        final double perWeight = balanceFactor / 100.0 * (active + 1) / weights;
        final MaglevTable table = this.table;
        final int size = table.size();
        int slot = table.slotOf(clientHash);
        Server fallback = null;
        for (int walked = 0; walked < size; walked++, slot = slot + 1 == size ? 0 : slot + 1) {
            final Server server = table.serverAt(slot);
            if (server == null) {
                return null;
            }
            if (!server.acceptsNew() || Balancer.isExcluded(server, excluded)) {
                continue;
            }
            if (server.active() + 1 <= Math.ceil(perWeight * server.effectiveWeight())) {
                return server;
            }
            if (fallback == null) {
                fallback = server;
            }
        }
        return fallback; // every server at its bound (loads moved while we looked): the hash's own choice
    }
}
