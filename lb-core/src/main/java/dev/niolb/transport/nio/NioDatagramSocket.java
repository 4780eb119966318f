package dev.niolb.transport.nio;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;
import dev.niolb.transport.DatagramSocket;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * Used on the event loop it is registered with.
 *
 * A {@link DatagramChannel}, non-blocking. Its receive hands back a cached address object when the sender is the
 * same as last time (a connected socket's server): no allocation per datagram there.
 *
 * <p>Threading: the event loop it is registered with.
 */
final class NioDatagramSocket implements DatagramSocket {
    private final DatagramChannel channel;

    NioDatagramSocket(final DatagramChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
    }

    @Override
    public InetSocketAddress receive(final ByteBuffer dst) throws IOException {
        // receive, not read: read cannot tell an empty datagram from none
        return (InetSocketAddress) channel.receive(dst);
    }

    @Override
    public int send(final ByteBuffer src, final InetSocketAddress to) throws IOException {
        return channel.send(src, to);
    }

    @Override
    public void connect(final InetSocketAddress remote) throws IOException {
        channel.connect(remote);
    }

    @Override
    public int receiveBuffer(final int bytes) throws IOException {
        channel.setOption(StandardSocketOptions.SO_RCVBUF, bytes);
        return channel.getOption(StandardSocketOptions.SO_RCVBUF);
    }

    @Override
    public int write(final ByteBuffer src) throws IOException {
        return channel.write(src);
    }

    @Override
    public long write(final ByteBuffer[] srcs, final Refusals owner) throws IOException {
        return channel.write(srcs); // a connected datagram socket sends a gathering write as one datagram
    }

    @Override
    public Registration register(final EventLoop loop, final int ops, final IoHandler handler) throws IOException {
        return NioTransport.register(loop, channel, ops, handler);
    }

    @Override
    public InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    @Override
    public void close() {
        try {
            channel.close(); // also cancels its selection key
        } catch (final IOException ignored) {
            // the descriptor is released either way
        }
    }
}
