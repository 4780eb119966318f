package dev.niolb.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A blocking UDP echo server on loopback, one thread: a real peer for tests. With a tag, every reply is
 * {@code TAG:} followed by the datagram, so a client can tell which server answered; without one, the datagram
 * comes back unchanged. It can answer each datagram several times (for {@code responses} tests). It remembers
 * the addresses datagrams came from (niolb's per-flow sockets).
 */
public final class UdpEchoServer implements AutoCloseable {
    private final DatagramSocket socket;
    private final byte[] tag;
    private final int repliesPerDatagram;
    private final AtomicInteger received = new AtomicInteger();
    private final Set<SocketAddress> senders = ConcurrentHashMap.newKeySet();

    public UdpEchoServer(final String tag) throws IOException {
        this(tag, 1, 0);
    }

    /** @param port 0 for an ephemeral port */
    public UdpEchoServer(final String tag, final int repliesPerDatagram, final int port) throws IOException {
        this(tag, repliesPerDatagram, new InetSocketAddress("127.0.0.1", port));
    }

    public UdpEchoServer(final String tag, final int repliesPerDatagram, final InetSocketAddress bind)
        throws IOException {
        this.tag = tag == null ? new byte[0] : (tag + ":").getBytes(StandardCharsets.UTF_8);
        this.repliesPerDatagram = repliesPerDatagram;
        this.socket = new DatagramSocket(null);
        socket.setReceiveBufferSize(1 << 20);
        socket.bind(bind);
        Thread.ofPlatform().daemon().name("udp-echo-" + tag).start(this::serve);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Datagrams received so far. */
    public int received() {
        return received.get();
    }

    /** The distinct addresses datagrams came from. */
    public Set<SocketAddress> senders() {
        return Set.copyOf(senders);
    }

    private void serve() {
        final byte[] in = new byte[65_536];
        final byte[] out = new byte[65_536 + tag.length];
        final DatagramPacket packet = new DatagramPacket(in, in.length);
        while (!socket.isClosed()) {
            try {
                packet.setData(in);
                socket.receive(packet);
                received.incrementAndGet();
                senders.add(packet.getSocketAddress());
                System.arraycopy(tag, 0, out, 0, tag.length);
                System.arraycopy(in, 0, out, tag.length, packet.getLength());
                final DatagramPacket reply = new DatagramPacket(out, tag.length + packet.getLength(),
                    packet.getSocketAddress());
                for (int i = 0; i < repliesPerDatagram; i++) {
                    socket.send(reply);
                }
            } catch (final IOException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
