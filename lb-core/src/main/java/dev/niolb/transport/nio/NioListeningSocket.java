package dev.niolb.transport.nio;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;
import dev.niolb.transport.ListeningSocket;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Used on the event loop it is registered with.
 *
 * A {@link ServerSocketChannel}, non-blocking. The JDK's accept does not return the peer's address; it is asked
 * for once per connection ({@code getpeername}), one of the syscalls a native transport saves.
 *
 * <p>Threading: the event loop it is registered with.
 */
final class NioListeningSocket implements ListeningSocket {
    private final ServerSocketChannel channel;
    private final InetSocketAddress localAddress;

    NioListeningSocket(final ServerSocketChannel channel) throws IOException {
        this.channel = channel;
        this.localAddress = (InetSocketAddress) channel.getLocalAddress();
    }

    @Override
    public Accepted accept() throws IOException {
        while (true) {
            final SocketChannel client = channel.accept();
            if (client == null) {
                return null;
            }
            try {
                final InetSocketAddress peer = (InetSocketAddress) client.getRemoteAddress();
                return new Accepted(new NioStreamSocket(client), peer);
            } catch (final IOException e) {
                // reset before we looked at it: nothing to serve, and not a failure of accept
                client.close();
            }
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public Registration register(final EventLoop loop, final int ops, final IoHandler handler) throws IOException {
        return NioTransport.register(loop, channel, ops, handler);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (final IOException ignored) {
            // the descriptor is released either way
        }
    }
}
