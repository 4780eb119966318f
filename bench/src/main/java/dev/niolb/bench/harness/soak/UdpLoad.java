package dev.niolb.bench.harness.soak;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The soak's UDP clients: {@code flows} threads, each sending {@code rate} datagrams per second from one socket
 * (one flow in niolb) for a random 2-10 s, then from a new socket (a new flow). Each datagram carries a
 * sequence number and bytes from a {@link Pattern}; the answer must be the server's id byte followed by
 * exactly the datagram. A datagram with no answer within 300 ms is counted unanswered (expected while a
 * server is down: UDP has no retransmission); an answer that differs is counted corrupt.
 */
final class UdpLoad {
    private static final int TIMEOUT_MS = 300;

    private final InetSocketAddress target;
    private final Tally tally;
    private final int flows;
    private final double rate;
    private final AtomicLong seeds = new AtomicLong(System.nanoTime() ^ 0x5EED);
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    UdpLoad(final InetSocketAddress target, final Tally tally, final int flows, final double rate) {
        this.target = target;
        this.tally = tally;
        this.flows = flows;
        this.rate = rate;
    }

    void start() {
        running = true;
        for (int i = 0; i < flows; i++) {
            threads.add(Thread.ofPlatform().daemon().name("soak-udp-" + i).start(this::run));
        }
    }

    void stop() throws InterruptedException {
        running = false;
        for (final Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
        threads.clear();
    }

    private void run() {
        final long interval = (long) (1e9 / rate);
        final byte[] in = new byte[2048];
        while (running) {
            final long seed = seeds.incrementAndGet();
            final Pattern pattern = new Pattern(seed);
            final long life = TimeUnit.SECONDS.toNanos(2) + ThreadLocalRandom.current().nextLong(TimeUnit.SECONDS.toNanos(8));
            final long born = System.nanoTime();
            try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(target.getAddress(), 0))) {
                socket.setSoTimeout(TIMEOUT_MS);
                long next = System.nanoTime();
                for (long seq = 0; running && System.nanoTime() - born < life; seq++) {
                    final int size = 16 + ThreadLocalRandom.current().nextInt(497);
                    final byte[] out = Arrays.copyOf(pattern.chunk(seq), size);
                    ByteBuffer.wrap(out).putLong(0, seq);
                    socket.send(new DatagramPacket(out, size, target));
                    tally.udpSent.increment();
                    awaitAnswer(socket, in, out, seq);
                    next += interval;
                    final long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    } else {
                        next = System.nanoTime();
                    }
                }
            } catch (final IOException e) {
                tally.incident("udp flow failed: " + e);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
        }
    }

    private void awaitAnswer(final DatagramSocket socket, final byte[] in, final byte[] out, final long seq)
        throws IOException {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (true) {
            final DatagramPacket packet = new DatagramPacket(in, in.length);
            try {
                final long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new SocketTimeoutException();
                }
                socket.setSoTimeout((int) left);
                socket.receive(packet);
            } catch (final SocketTimeoutException e) {
                tally.udpUnanswered.increment();
                return;
            }
            final int length = packet.getLength();
            if (length >= 9 && ByteBuffer.wrap(in, 1, 8).getLong() != seq) {
                continue; // a late answer to an earlier datagram, already counted unanswered
            }
            if (length == out.length + 1 && Arrays.equals(in, 1, length, out, 0, out.length)) {
                tally.udpAnswered.increment();
            } else {
                tally.udpCorrupt.increment();
                tally.incident("udp answer from s" + (in[0] & 0xff) + " differs from datagram " + seq
                    + " (" + length + " bytes for " + out.length + ")");
            }
            return;
        }
    }
}
