package dev.niolb.proxyprotocol;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What a PROXY protocol header said about the connection (or datagram) it came in front of.
 *
 * <p>Immutable. {@link Proxied} carries the original endpoints; {@link Local} (a v2 LOCAL command: the sender's
 * own connection, typically a health check) and {@link Unknown} (v1 {@code UNKNOWN}, v2 {@code UNSPEC}, or a
 * family niolb does not relay such as {@code AF_UNIX}) both mean "use the real connection's endpoints", as the
 * specification asks of a receiver.
 */
public sealed interface ProxyHeader permits ProxyHeader.Proxied, ProxyHeader.Local, ProxyHeader.Unknown {

    /** The client address a session should use: the advertised source, or {@code connection} when there is none. */
    InetSocketAddress sourceOr(InetSocketAddress connection);

    /**
     * This header as a listener of {@code transport} takes it: a {@link Proxied} one of the other transport (a UDP
     * client's on a TCP connection, a TCP client's on a datagram) names no client of this one, so it is {@link
     * Unknown}, the real endpoints, as HAProxy takes it (black-box testing, session 32: its addresses were taken).
     */
    default ProxyHeader on(final Transport transport) {
        return this instanceof Proxied p && p.transport() != transport ? Unknown.INSTANCE : this;
    }

    /** The transport the header announced. */
    enum Transport {
        /** {@code SOCK_STREAM}: TCP (v1 is always this). */
        STREAM,
        /** {@code SOCK_DGRAM}: UDP. */
        DGRAM
    }

    /**
     * The connection was relayed on behalf of {@code source}, which connected to {@code destination}.
     * Both addresses are of the same family as the header announced (an IPv4-mapped IPv6 address comes out as
     * IPv4, as the JDK hands such peers to sockets).
     */
    record Proxied(InetSocketAddress source, InetSocketAddress destination, Transport transport) implements ProxyHeader {
        public Proxied {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(destination, "destination");
            Objects.requireNonNull(transport, "transport");
        }

        @Override
        public InetSocketAddress sourceOr(final InetSocketAddress connection) {
            return source;
        }
    }

    /** A v2 LOCAL command: the sender opened this connection itself; its endpoints are the real ones. */
    record Local() implements ProxyHeader {
        public static final Local INSTANCE = new Local();

        @Override
        public InetSocketAddress sourceOr(final InetSocketAddress connection) {
            return connection;
        }
    }

    /** A valid header that carries no usable address: the real endpoints apply. */
    record Unknown() implements ProxyHeader {
        public static final Unknown INSTANCE = new Unknown();

        @Override
        public InetSocketAddress sourceOr(final InetSocketAddress connection) {
            return connection;
        }
    }
}
