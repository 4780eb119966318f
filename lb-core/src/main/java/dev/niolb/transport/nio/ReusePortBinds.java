package dev.niolb.transport.nio;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectableChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Made on the thread that binds a listener; the sockets then go to their loops.
 *
 * A listener's sockets, one per loop, bound to one address with {@code SO_REUSEPORT}, TCP or UDP alike.
 *
 * <p>First a probe bind without {@code SO_REUSEPORT}: a plain {@code SO_REUSEPORT} bind would succeed next to
 * another process of the same user on the same address and silently share its traffic, where an operator expects
 * "address already in use". Port 0 is resolved by the probe, and every socket binds the same real port. Where
 * {@code SO_REUSEPORT} does not exist there is one socket: a TCP listener registers it with every loop (they race
 * for each connection: correct, less even); a UDP listener gives it to its first loop only (a flow lives on one
 * loop, and a shared socket would hand one client's datagrams to several).
 *
 * <p>Threading: whoever binds (start, or a reload's thread); the sockets are then handed to their loops.
 *
 * @param channels the bound, non-blocking sockets: {@code count} of them, or one without {@code SO_REUSEPORT}
 */
record ReusePortBinds<C extends SelectableChannel & NetworkChannel>(List<C> channels) {
    /** Opens a channel of the listener's kind. */
    @FunctionalInterface
    public interface Opener<C> {
        C open() throws IOException;
    }

    /** Binds a channel to an address (with the backlog, for TCP). */
    @FunctionalInterface
    public interface Binder<C> {
        void bind(C channel, InetSocketAddress address) throws IOException;
    }

    /**
     * Binds the sockets of one listener.
     *
     * @throws java.net.BindException from the probe or a bind when the address is taken; nothing is left open
     */
    public static <C extends SelectableChannel & NetworkChannel> ReusePortBinds<C> of(
        final InetSocketAddress requested, final int count, final Opener<C> opener, final Binder<C> binder)
        throws IOException {
        InetSocketAddress address = requested;
        final boolean reusePort;
        try (C probe = opener.open()) {
            reusePort = probe.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT);
            binder.bind(probe, address);
            if (address.getPort() == 0) {
                address = new InetSocketAddress(address.getAddress(),
                    ((InetSocketAddress) probe.getLocalAddress()).getPort());
            }
        }
        final List<C> channels = new ArrayList<>(reusePort ? count : 1);
        try {
            for (int i = 0; i < (reusePort ? count : 1); i++) {
                final C channel = opener.open();
                channels.add(channel);
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                if (reusePort) {
                    channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                }
                binder.bind(channel, address);
            }
        } catch (final IOException e) {
            for (final C c : channels) {
                c.close();
            }
            throw e;
        }
        return new ReusePortBinds<>(List.copyOf(channels));
    }
}
