package dev.niolb.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * An address niolb accepts on and the group it sends sessions to.
 *
 * @param bind port 0 binds an ephemeral port (shared by every loop)
 */
public record ListenerConfig(String name, Protocol protocol, InetSocketAddress bind, String group, TcpOptions tcp) {
    public ListenerConfig {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(tcp, "tcp");
        if (name == null || name.isBlank()) {
            name = protocol.scheme() + "://" + Endpoint.hostPort(bind);
        }
    }

    public ListenerConfig(final InetSocketAddress bind, final String group, final TcpOptions tcp) {
        this(null, Protocol.TCP, bind, group, tcp);
    }
}
