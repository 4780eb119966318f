package dev.niolb.balance;

import dev.niolb.target.Server;

/**
 * Source hashing with Maglev consistent hashing: a client's hash picks a slot of a {@link MaglevTable}, so the
 * same client IP reaches the same server on every pick and on every niolb instance built from the same servers.
 *
 * <p>Threading: threadsafe (no state of its own over an immutable table); one instance may serve every loop.
 *
 * <p>When the slot's server is excluded or takes no new sessions, the pick walks forward through the table to
 * the next slot whose server can: deterministic, so instances still agree, and spread over the other servers
 * in proportion to their slots because neighbouring slots belong to unrelated servers.
 */
final class Maglev implements Balancer {
    private final MaglevTable table;

    Maglev(final MaglevTable table) {
        this.table = table;
    }

    @Override
    public Server pick(final int clientHash, final long excluded) {
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
}
