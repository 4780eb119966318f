package dev.niolb.transport.nio;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Poller;
import dev.niolb.loop.Registration;
import dev.niolb.transport.DatagramSocket;
import dev.niolb.transport.ListeningSocket;
import dev.niolb.transport.StreamSocket;
import dev.niolb.transport.Transport;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Immutable; any thread.
 *
 * JDK NIO: a {@code Selector} per loop, {@code SocketChannel}s and {@code DatagramChannel}s. Portable, and the
 * reference every other transport is tested against.
 *
 * <p>Threading: immutable, any thread; {@link #register} on the loop's thread.
 */
public final class NioTransport implements Transport {
    public static final NioTransport INSTANCE = new NioTransport();

    private NioTransport() {
    }

    @Override
    public String name() {
        return "nio";
    }

    @Override
    public Poller open(final Poller.Dispatch dispatch) throws IOException {
        return new NioPoller(dispatch);
    }

    @Override
    public List<ListeningSocket> listen(final InetSocketAddress address, final int backlog, final int count)
        throws IOException {
        final ReusePortBinds<ServerSocketChannel> binds = ReusePortBinds.of(address, count,
            () -> ServerSocketChannel.open(family(address)), (channel, at) -> channel.bind(at, backlog));
        final List<ListeningSocket> sockets = new ArrayList<>(binds.channels().size());
        for (final ServerSocketChannel channel : binds.channels()) {
            sockets.add(new NioListeningSocket(channel));
        }
        return sockets;
    }

    @Override
    public List<DatagramSocket> bindDatagram(final InetSocketAddress address, final int count) throws IOException {
        final ReusePortBinds<DatagramChannel> binds = ReusePortBinds.of(address, count,
            () -> DatagramChannel.open(family(address)),
            DatagramChannel::bind);
        final List<DatagramSocket> sockets = new ArrayList<>(binds.channels().size());
        for (final DatagramChannel channel : binds.channels()) {
            sockets.add(new NioDatagramSocket(channel));
        }
        return sockets;
    }

    /**
     * The family of a listener's sockets: IPv4's for an IPv4 address. The JDK's default is a dual-stack IPv6
     * socket, on which 0.0.0.0 binds in6addr_any and serves IPv6 clients too, where an operator who wrote 0.0.0.0
     * (and epoll, nginx, HAProxy) means IPv4 only. [::] stays dual-stack, as on epoll.
     */
    private static ProtocolFamily family(final InetSocketAddress address) {
        return address.getAddress() instanceof Inet4Address ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
    }

    @Override
    public DatagramSocket openDatagram(final InetSocketAddress remote) throws IOException {
        final DatagramChannel channel = DatagramChannel.open();
        try {
            return new NioDatagramSocket(channel);
        } catch (final IOException e) {
            channel.close();
            throw e;
        }
    }

    /** A socket the engine did not open itself (a test's, an adopted one), made non-blocking. */
    public static StreamSocket stream(final SocketChannel channel) throws IOException {
        return new NioStreamSocket(channel);
    }

    @Override
    public StreamSocket openStream(final InetSocketAddress remote) throws IOException {
        final SocketChannel channel = SocketChannel.open();
        try {
            return new NioStreamSocket(channel);
        } catch (final IOException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Registers a channel with {@code loop}'s selector, waiting for {@code ops} ({@link dev.niolb.loop.Ready}
     * flags). The loop must run on this transport. Loop thread, or before the loop starts.
     */
    public static Registration register(final EventLoop loop, final SelectableChannel channel, final int ops,
                                        final IoHandler handler) throws ClosedChannelException {
        if (!(loop.poller() instanceof NioPoller poller)) {
            throw new IllegalStateException("event loop " + loop.index() + " does not run on the nio transport");
        }
        return poller.register(channel, ops, handler);
    }
}
