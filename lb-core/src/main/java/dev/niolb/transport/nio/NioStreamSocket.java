package dev.niolb.transport.nio;

import dev.niolb.transport.ConnectionReset;
import dev.niolb.config.TcpOptions;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;
import dev.niolb.transport.StreamSocket;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Used on the event loop it is registered with.
 *
 * A {@link SocketChannel}, non-blocking.
 *
 * <p>Threading: the event loop it is registered with.
 */
final class NioStreamSocket implements StreamSocket {
    private final SocketChannel channel;

    NioStreamSocket(final SocketChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
    }

    @Override
    public void apply(final TcpOptions options) throws IOException {
        channel.setOption(StandardSocketOptions.TCP_NODELAY, options.noDelay());
        if (options.keepAlive()) {
            channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        }
        if (options.receiveBuffer() > 0) {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, options.receiveBuffer());
        }
        if (options.sendBuffer() > 0) {
            channel.setOption(StandardSocketOptions.SO_SNDBUF, options.sendBuffer());
        }
    }

    @Override
    public boolean connect(final InetSocketAddress remote) throws IOException {
        return channel.connect(remote);
    }

    @Override
    public boolean finishConnect() throws IOException {
        try {
            return channel.finishConnect();
        } catch (final java.net.SocketException e) {
            // the JDK's sun.net.ConnectionResetException ("Connection reset") for ECONNRESET: established, then reset
            if (e.getMessage() != null && e.getMessage().startsWith("Connection reset")) {
                throw new ConnectionReset(e.getMessage());
            }
            throw e;
        }
    }

    @Override
    public int read(final ByteBuffer dst) throws IOException {
        return channel.read(dst);
    }

    @Override
    public int write(final ByteBuffer src) throws IOException {
        return channel.write(src);
    }

    @Override
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    @Override
    public Registration register(final EventLoop loop, final int ops, final IoHandler handler) throws IOException {
        return NioTransport.register(loop, channel, ops, handler);
    }

    @Override
    public void close(final boolean abort) {
        try {
            if (abort && channel.isOpen()) {
                channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
        } catch (final IOException | RuntimeException ignored) {
            // a socket that cannot take SO_LINGER is already dead: a plain close is all we can do
        }
        try {
            channel.close();
        } catch (final IOException ignored) {
            // nothing to do: the descriptor is released either way
        }
    }
}
