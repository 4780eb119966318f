package dev.niolb.udp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;

/**
 * Runs on its receiver's event loop.
 *
 * The flows of one listener on one loop, keyed by client address (IP and port) and, on a wildcard-bound listener
 * that learns where each datagram was sent ({@code IP_PKTINFO}), by that local address too: a client that writes
 * to two of the host's addresses from one port has two flows, each answering from the address it asked (as
 * nginx keys a wildcard listener's UDP sessions). The flows of one client are chained
 * ({@link UdpFlow#nextOfClient}): almost always one.
 *
 * <p>Not threadsafe: owned by one event loop. Lookups allocate nothing ({@link InetSocketAddress} and
 * {@link InetAddress} hash and compare their fields); only a new flow adds an entry. Expiry is not the table's
 * job: each flow ends itself on the loop's timer wheel (idle) or after its replies, and takes itself out.
 */
final class FlowTable {
    private final HashMap<InetSocketAddress, UdpFlow> flows = new HashMap<>();
    private int size;

    /**
     * The flow of {@code client} sent to local address {@code at}; {@code at} null (a listener bound to one
     * address, or a transport that cannot tell) matches the client's flow whatever it was opened at.
     */
    UdpFlow get(final InetSocketAddress client, final InetAddress at) {
        for (UdpFlow f = flows.get(client); f != null; f = f.nextOfClient) {
            if (at == null || f.replyFrom() == null || at.equals(f.replyFrom())) {
                return f;
            }
        }
        return null;
    }

    void put(final InetSocketAddress client, final UdpFlow flow) {
        flow.nextOfClient = flows.put(client, flow);
        size++;
    }

    /** Removes {@code flow} if it is in the table. */
    void remove(final InetSocketAddress client, final UdpFlow flow) {
        final UdpFlow head = flows.get(client);
        if (head == flow) {
            if (flow.nextOfClient == null) {
                flows.remove(client);
            } else {
                flows.put(client, flow.nextOfClient);
            }
            size--;
            return;
        }
        for (UdpFlow f = head; f != null; f = f.nextOfClient) {
            if (f.nextOfClient == flow) {
                f.nextOfClient = flow.nextOfClient;
                size--;
                return;
            }
        }
    }

    int size() {
        return size;
    }

    /** Every flow, each client's chain included; {@code action} must not add or remove flows. */
    void forEach(final java.util.function.Consumer<UdpFlow> action) {
        for (final UdpFlow head : flows.values()) {
            for (UdpFlow f = head; f != null; f = f.nextOfClient) {
                action.accept(f);
            }
        }
    }
}
