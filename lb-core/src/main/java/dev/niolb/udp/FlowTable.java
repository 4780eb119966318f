package dev.niolb.udp;

import java.net.InetSocketAddress;
import java.util.HashMap;

/**
 * Runs on its receiver's event loop.
 *
 * The flows of one listener on one loop, keyed by client address (IP and port).
 *
 * <p>Not threadsafe: owned by one event loop. Lookups allocate nothing ({@link InetSocketAddress} hashes and
 * compares its fields); only a new flow adds an entry. Expiry is not the table's job: each flow ends itself on
 * the loop's timer wheel (idle) or after its replies, and takes itself out.
 */
final class FlowTable {
    private final HashMap<InetSocketAddress, UdpFlow> flows = new HashMap<>();

    UdpFlow get(final InetSocketAddress client) {
        return flows.get(client);
    }

    void put(final InetSocketAddress client, final UdpFlow flow) {
        flows.put(client, flow);
    }

    /** Removes {@code flow} if it is still the one mapped to its client. */
    void remove(final InetSocketAddress client, final UdpFlow flow) {
        flows.remove(client, flow);
    }

    int size() {
        return flows.size();
    }
}
