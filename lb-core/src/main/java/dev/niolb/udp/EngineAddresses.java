package dev.niolb.udp;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The addresses of the engine a UDP listener belongs to that a new flow must not be opened for: a flow for a
 * server's address would send that server's replies back to it, a flow for a listener's would send them to that
 * listener, and an echoing peer would keep either flow alive for ever (black-box testing, session 29: one spoofed
 * datagram, tens of thousands a second, across groups and listeners as within one). Asked once per new flow.
 */
@FunctionalInterface
public interface EngineAddresses {
    /**
     * Whether {@code peer} is a server of any group or a UDP listener of this engine.
     *
     * @param receivedAt where the datagram came in, for a wildcard-bound listener that can tell; else null
     */
    boolean loopsBack(InetSocketAddress peer, InetAddress receivedAt);
}
