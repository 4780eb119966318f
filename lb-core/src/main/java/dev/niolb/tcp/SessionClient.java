package dev.niolb.tcp;

import dev.niolb.balance.ClientHash;
import dev.niolb.config.SendProxy;
import dev.niolb.proxyprotocol.DecodeResult;
import dev.niolb.proxyprotocol.ProxyHeader;
import dev.niolb.proxyprotocol.ProxyHeaderEncoder;
import dev.niolb.transport.StreamSocket;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Runs on its session's event loop.
 *
 * Who a TCP session's client is: the TCP peer, or, behind a trusted proxy, the source its PROXY protocol header
 * names; and what that header left to relay first. One field is the client address: what the balancer hashes,
 * what the admission judges, what the connection table shows, and what a PROXY header to the server carries.
 *
 * <p>Threading: the session's event loop.
 */
final class SessionClient {
    private final InetSocketAddress peer;   // the TCP peer: the client, or a proxy in front of it
    private InetSocketAddress address;      // the peer, or the source its PROXY header gave
    private int hash;
    private ClientHeaderReader reader;      // while reading a PROXY header
    private ProxyHeader.Proxied proxied;    // the decoded header, when it carried addresses
    private ByteBuffer early;               // bytes the client sent after its PROXY header

    SessionClient(final InetSocketAddress peer) {
        this.peer = peer;
        this.address = peer;
        this.hash = ClientHash.of(peer);
    }

    /** The TCP peer (a proxy, when the client is behind one). */
    InetSocketAddress peer() {
        return peer;
    }

    /** The client: the peer, or the source its PROXY header named. */
    InetSocketAddress address() {
        return address;
    }

    /** The client address's hash, for the balancer. */
    int hash() {
        return hash;
    }

    /** A PROXY header of at most {@code maxLength} bytes is to be read before anything else. */
    void expectHeader(final int maxLength) {
        reader = new ClientHeaderReader(maxLength);
    }

    /** The client is readable while its header is expected: a {@link ClientHeaderReader} status. */
    int readHeader(final StreamSocket socket) {
        return reader.onReadable(socket);
    }

    /** Why the header was refused, after {@code MALFORMED} or {@code OVERSIZE}. */
    DecodeResult.Problem problem() {
        return reader.problem();
    }

    /** The header is complete: the client address is final now. */
    void headerRead() {
        final ProxyHeader header = reader.header().on(ProxyHeader.Transport.STREAM);
        early = reader.leftover();
        reader = null;
        if (header instanceof ProxyHeader.Proxied p) {
            proxied = p;
        }
        address = header.sourceOr(peer);
        hash = ClientHash.of(address);
    }

    /**
     * Whether the PROXY header named a client: false for a v2 LOCAL header, v1 {@code UNKNOWN} or an address
     * family without one (a Unix socket), which the trusted proxy sends for its own connections (health checks).
     */
    boolean headerNamedClient() {
        return proxied != null;
    }

    /** Whether bytes the client sent after its PROXY header wait to go to the server. */
    boolean hasEarly() {
        return early != null && early.hasRemaining();
    }

    /** What the client sent after its header, once (null when nothing): relayed before anything else. */
    ByteBuffer takeEarly() {
        final ByteBuffer bytes = early;
        early = null;
        return bytes;
    }

    /**
     * The PROXY header {@code send} asks a server to get, or null: the client address and the address it
     * connected to (as its own header gave them, else {@code socket}'s local address, else {@code fallback}).
     */
    ByteBuffer headerFor(final SendProxy send, final StreamSocket socket, final InetSocketAddress fallback) {
        if (!send.enabled()) {
            return null;
        }
        final InetSocketAddress destination = proxied != null ? proxied.destination() : localAddress(socket, fallback);
        return send.version() == SendProxy.Version.V1 ? ProxyHeaderEncoder.v1(address, destination)
            : ProxyHeaderEncoder.v2(address, destination, ProxyHeader.Transport.STREAM);
    }

    /** The address the client connected to: the real one even on a wildcard listener. */
    private static InetSocketAddress localAddress(final StreamSocket socket, final InetSocketAddress fallback) {
        try {
            return socket.localAddress();
        } catch (final IOException e) {
            return fallback;
        }
    }

    /** Forgets what a closed session no longer needs. */
    void release() {
        reader = null;
        early = null;
    }
}
