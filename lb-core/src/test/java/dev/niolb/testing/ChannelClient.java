package dev.niolb.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;

/**
 * A UDP client on a {@link DatagramChannel} bound to a loopback address of the test's choosing (127.0.0.2,
 * 127.0.0.3 … are distinct client sources to niolb), unconnected, non-blocking, waited on with a selector.
 *
 * <p>Not threadsafe: one test thread.
 */
public final class ChannelClient implements AutoCloseable {
    private final DatagramChannel channel;
    private final Selector selector;
    private final InetSocketAddress target;
    private final ByteBuffer in = ByteBuffer.allocate(65_536);

    /** @param host the client's own address, e.g. 127.0.0.2; each client gets an ephemeral port of its own */
    public ChannelClient(final InetSocketAddress target, final String host) throws IOException {
        this.target = target;
        this.channel = DatagramChannel.open().bind(new InetSocketAddress(host, 0));
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
    }

    public InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    public void send(final String text) throws IOException {
        send(text.getBytes(StandardCharsets.UTF_8));
    }

    public void send(final byte[] datagram) throws IOException {
        channel.send(ByteBuffer.wrap(datagram), target);
    }

    /** The next datagram as text, or null when none comes within {@code timeoutMs}. */
    public String receive(final long timeoutMs) throws IOException {
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            in.clear();
            if (channel.receive(in) != null) {
                in.flip();
                return StandardCharsets.UTF_8.decode(in).toString();
            }
            final long leftMs = (deadline - System.nanoTime()) / 1_000_000L;
            if (leftMs <= 0) {
                return null;
            }
            selector.select(leftMs);
            selector.selectedKeys().clear();
        }
    }

    /** Sends {@code text} and waits up to 2 s for one reply (null if none). */
    public String ask(final String text) throws IOException {
        send(text);
        return receive(2000);
    }

    @Override
    public void close() throws IOException {
        selector.close();
        channel.close();
    }
}
