package dev.niolb.loop;

import dev.niolb.config.TcpOptions;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;

/** Applies a listener's socket options to a client or server socket. */
public final class SocketOptions {
    private SocketOptions() {
    }

    public static void apply(final SocketChannel channel, final TcpOptions options) throws IOException {
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, options.noDelay());
        if (options.keepAlive()) {
            channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        }
    }

    /** Closes a channel; with {@code abort}, with a reset (SO_LINGER 0) so the peer sees an abort, not an end. */
    public static void close(final SocketChannel channel, final boolean abort) {
        if (channel == null) {
            return;
        }
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
