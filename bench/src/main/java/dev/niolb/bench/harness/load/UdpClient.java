package dev.niolb.bench.harness.load;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import org.HdrHistogram.Histogram;

/**
 * UDP ping-pong over {@code flows} client sockets (each a distinct source port, so a proxy sees
 * {@code flows} sessions): send a datagram carrying a sequence number, wait for it to come back, go
 * again. A reply that does not come within {@code timeoutMillis} counts as lost and the flow moves on;
 * stale replies are recognised by their sequence number and dropped.
 */
public final class UdpClient extends LoadThreads {

    private static final long HIGHEST = 60_000_000_000L;

    private final InetSocketAddress target;
    private final int size;
    private final int timeoutMillis;

    public UdpClient(final InetSocketAddress target, final int flows, final int size, final int timeoutMillis,
                     final LoadWindow window) {
        super(window);
        if (flows < 1 || size < 8 || timeoutMillis < 1) {
            throw new IllegalArgumentException("need at least one flow, 8-byte datagrams and a positive timeout");
        }
        this.target = target;
        this.size = size;
        this.timeoutMillis = timeoutMillis;
        for (int i = 0; i < flows; i++) {
            spawn("udp-" + i, this::run);
        }
    }

    private void run() {
        final Histogram histogram = Load.newHistogram();
        final byte[] out = new byte[size];
        final byte[] in = new byte[size];
        final ByteBuffer outView = ByteBuffer.wrap(out);
        final ByteBuffer inView = ByteBuffer.wrap(in);
        final DatagramPacket request = new DatagramPacket(out, size);
        final DatagramPacket reply = new DatagramPacket(in, size);
        try (DatagramSocket socket = closeAtEnd(new DatagramSocket())) {
            socket.connect(target);
            socket.setSoTimeout(timeoutMillis);
            for (long seq = 1; running(); seq++) {
                outView.putLong(0, seq);
                final long sent = System.nanoTime();
                socket.send(request);
                while (true) {
                    try {
                        reply.setLength(size);
                        socket.receive(reply);
                    } catch (SocketTimeoutException e) {
                        failed(e);
                        break;
                    }
                    if (reply.getLength() == size && inView.getLong(0) == seq) {
                        final long done = System.nanoTime();
                        if (window.measures(sent, done)) {
                            histogram.recordValue(Math.min(HIGHEST, done - sent));
                        }
                        completed.increment();
                        break;
                    }
                }
            }
        } catch (IOException e) {
            failed(e);
        } finally {
            merge(histogram);
        }
    }
}
