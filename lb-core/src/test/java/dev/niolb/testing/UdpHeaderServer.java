package dev.niolb.testing;

import dev.niolb.config.Endpoint;
import dev.niolb.proxyprotocol.DecodeResult;
import dev.niolb.proxyprotocol.ProxyHeader;
import dev.niolb.proxyprotocol.ProxyHeaderDecoder;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A UDP server that expects what a {@code send-proxy-v2} server expects: for each datagram it decodes a leading
 * PROXY header with niolb's decoder and answers {@code SRC PAYLOAD} (the header's source, with its v2 transport)
 * or {@code no header PAYLOAD}. It also records every datagram's text so a test can see exactly what arrived.
 */
public final class UdpHeaderServer implements AutoCloseable {
    private final DatagramSocket socket;
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private final List<InetSocketAddress> destinations = new CopyOnWriteArrayList<>();

    public UdpHeaderServer() throws IOException {
        socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofVirtual().start(this::serve);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** What each datagram said, as answered. */
    public List<String> seen() {
        return seen;
    }

    /** The destination of each header that carried addresses. */
    public List<InetSocketAddress> destinations() {
        return destinations;
    }

    private void serve() {
        final byte[] buf = new byte[65_536];
        while (!socket.isClosed()) {
            final DatagramPacket packet = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(packet);
            } catch (final IOException e) {
                return;
            }
            final ByteBuffer in = ByteBuffer.wrap(buf, 0, packet.getLength());
            final String answer;
            if (ProxyHeaderDecoder.decode(in) instanceof DecodeResult.Decoded d) {
                in.position(d.length());
                answer = switch (d.header()) {
                    case ProxyHeader.Proxied p -> {
                        destinations.add(p.destination());
                        yield Endpoint.hostPort(p.source()) + " " + p.transport();
                    }
                    case ProxyHeader.Local l -> "local";
                    case ProxyHeader.Unknown u -> "unknown";
                } + " " + StandardCharsets.UTF_8.decode(in);
            } else {
                answer = "no header " + StandardCharsets.UTF_8.decode(in);
            }
            seen.add(answer);
            final byte[] out = answer.getBytes(StandardCharsets.UTF_8);
            try {
                socket.send(new DatagramPacket(out, out.length, packet.getSocketAddress()));
            } catch (final IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
