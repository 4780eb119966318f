package dev.niolb.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A test client: one unconnected UDP socket on loopback (one client address), so that it also sees where a reply
 * really came from. Not threadsafe; one per client thread.
 */
public final class UdpClient implements AutoCloseable {
    private final DatagramSocket socket;
    private final InetSocketAddress target;
    private final byte[] in = new byte[65_536 + 64];
    private InetSocketAddress lastSender;

    public UdpClient(final InetSocketAddress target) throws IOException {
        this(target, "127.0.0.1");
    }

    /** @param host the client's own address, e.g. 127.0.0.2 for a second client IP */
    public UdpClient(final InetSocketAddress target, final String host) throws IOException {
        this.target = target;
        this.socket = new DatagramSocket(new InetSocketAddress(host, 0));
        socket.setSoTimeout(2000);
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    public void send(final byte[] datagram) throws IOException {
        socket.send(new DatagramPacket(datagram, datagram.length, target));
    }

    public void send(final String text) throws IOException {
        send(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The next datagram, or null when none comes within {@code timeoutMs}. */
    public byte[] receive(final int timeoutMs) throws IOException {
        socket.setSoTimeout(timeoutMs);
        final DatagramPacket packet = new DatagramPacket(in, in.length);
        try {
            socket.receive(packet);
        } catch (final SocketTimeoutException e) {
            return null;
        }
        lastSender = (InetSocketAddress) packet.getSocketAddress();
        return Arrays.copyOf(in, packet.getLength());
    }

    /** The next datagram as text, or null when none comes within {@code timeoutMs}. */
    public String receiveText(final int timeoutMs) throws IOException {
        final byte[] b = receive(timeoutMs);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** Sends {@code text} and waits up to 2 s for one reply (null if none). */
    public String ask(final String text) throws IOException {
        send(text);
        return receiveText(2000);
    }

    /** Where the last received datagram came from. */
    public InetSocketAddress lastSender() {
        return lastSender;
    }

    @Override
    public void close() {
        socket.close();
    }
}
