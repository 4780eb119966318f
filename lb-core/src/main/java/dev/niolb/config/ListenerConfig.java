package dev.niolb.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * An address niolb accepts on and the group it sends sessions to.
 *
 * @param bind port 0 binds an ephemeral port (shared by every loop)
 * @param tcp  what a TCP listener does with its sessions
 * @param udp  what a UDP listener does with its flows
 * @param acceptProxy whether (and from whom) a PROXY protocol header is read before anything else
 * @param limits who it admits and how many: access list, maxconn, per-source limits
 */
public record ListenerConfig(String name, Protocol protocol, InetSocketAddress bind, String group, TcpOptions tcp,
                             UdpOptions udp, AcceptProxy acceptProxy, ListenerLimits limits) {
    public ListenerConfig {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(tcp, "tcp");
        Objects.requireNonNull(udp, "udp");
        if (acceptProxy == null) {
            acceptProxy = AcceptProxy.DISABLED;
        }
        if (limits == null) {
            limits = ListenerLimits.NONE;
        }
        if (name == null) {
            name = protocol.scheme() + "://" + Endpoint.hostPort(bind);
        }
        Names.check("listener", name);
    }

    /** With no access list and no limits. */
    public ListenerConfig(final String name, final Protocol protocol, final InetSocketAddress bind, final String group,
                          final TcpOptions tcp, final UdpOptions udp, final AcceptProxy acceptProxy) {
        this(name, protocol, bind, group, tcp, udp, acceptProxy, ListenerLimits.NONE);
    }

    /** Without PROXY protocol headers, access list or limits. */
    public ListenerConfig(final String name, final Protocol protocol, final InetSocketAddress bind, final String group,
                          final TcpOptions tcp, final UdpOptions udp) {
        this(name, protocol, bind, group, tcp, udp, AcceptProxy.DISABLED);
    }

    /** With the default {@link UdpOptions}. */
    public ListenerConfig(final String name, final Protocol protocol, final InetSocketAddress bind, final String group,
                          final TcpOptions tcp) {
        this(name, protocol, bind, group, tcp, UdpOptions.DEFAULTS);
    }

    public ListenerConfig(final InetSocketAddress bind, final String group, final TcpOptions tcp) {
        this(null, Protocol.TCP, bind, group, tcp);
    }

    public ListenerConfig withAcceptProxy(final AcceptProxy proxy) {
        return new ListenerConfig(name, protocol, bind, group, tcp, udp, proxy, limits);
    }

    public ListenerConfig withTcp(final TcpOptions options) {
        return new ListenerConfig(name, protocol, bind, group, options, udp, acceptProxy, limits);
    }

    /** At {@code address} (a port 0 as bound), under the same name. */
    public ListenerConfig withBind(final InetSocketAddress address) {
        return new ListenerConfig(name, protocol, address, group, tcp, udp, acceptProxy, limits);
    }

    public ListenerConfig withLimits(final ListenerLimits l) {
        return new ListenerConfig(name, protocol, bind, group, tcp, udp, acceptProxy, l);
    }
}
