package dev.niolb.bench.harness.soak;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One backend of the soak, in the harness process: a TCP echo and a UDP echo on the same port number (niolb's
 * one server list serves both protocols), both answering with the server's id first, so a client knows which
 * server it reached. TCP: the id byte, then every byte echoed; on the client's end of stream, a half-close
 * after the last byte. UDP: each datagram comes back led by the id byte.
 *
 * <p>{@link #stop()} drops the listening socket, the UDP socket and every connection at once, as a crashed
 * process would; {@link #start()} binds the same port again. The port is outside the kernel's ephemeral range
 * so that no outgoing connection can take it while the server is down. Every stop is remembered, so a session
 * that ended early can be matched with the stop that ended it. Threadsafe: start and stop are synchronized;
 * connections run on virtual threads, the UDP echo on one platform thread.
 */
final class SoakServer implements AutoCloseable {
    /** Ports below Linux's default ephemeral range (32768-60999): no connect is ever auto-bound to them. */
    private static final int LOW_PORT = 20_000;
    private static final int HIGH_PORT = 32_000;

    private final int id;
    private final InetAddress host;
    private final int port;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong datagrams = new AtomicLong();
    private final List<long[]> downs = new ArrayList<>(); // {stoppedAtNanos, startedAtNanos or MAX}
    private ServerSocket tcp;
    private DatagramSocket udp;

    private SoakServer(final int id, final InetAddress host, final int port) {
        this.id = id;
        this.host = host;
        this.port = port;
    }

    /** A started server on a port free for TCP and UDP on {@code host}. */
    static SoakServer open(final int id, final InetAddress host) throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            final int port = ThreadLocalRandom.current().nextInt(LOW_PORT, HIGH_PORT);
            final SoakServer server = new SoakServer(id, host, port);
            try {
                server.start();
                return server;
            } catch (final BindException taken) {
                server.stop();
            }
        }
        throw new IOException("no port free for both TCP and UDP in " + LOW_PORT + ".." + HIGH_PORT);
    }

    int id() {
        return id;
    }

    String name() {
        return "s" + id;
    }

    InetSocketAddress address() {
        return new InetSocketAddress(host, port);
    }

    long accepted() {
        return accepted.get();
    }

    long datagrams() {
        return datagrams.get();
    }

    synchronized boolean up() {
        return tcp != null;
    }

    /** Binds the port again (TCP and UDP) and serves. */
    synchronized void start() throws IOException {
        if (tcp != null) {
            return;
        }
        final ServerSocket t = new ServerSocket();
        final DatagramSocket u;
        try {
            t.setReuseAddress(true);
            t.bind(new InetSocketAddress(host, port), 1024);
            u = new DatagramSocket(null);
            u.setReceiveBufferSize(1 << 20);
            try {
                u.bind(new InetSocketAddress(host, port));
            } catch (final IOException e) {
                u.close();
                throw e;
            }
        } catch (final IOException e) {
            t.close();
            throw e;
        }
        tcp = t;
        udp = u;
        if (!downs.isEmpty()) {
            downs.getLast()[1] = System.nanoTime();
        }
        Thread.ofVirtual().name(name() + "-accept").start(() -> accept(t));
        Thread.ofPlatform().daemon().name(name() + "-udp").start(() -> echo(u));
    }

    /** Drops the port and every connection at once, as a crash does. */
    synchronized void stop() {
        if (tcp == null) {
            return;
        }
        downs.add(new long[] {System.nanoTime(), Long.MAX_VALUE});
        closeQuietly(tcp);
        udp.close();
        tcp = null;
        udp = null;
        for (final Socket s : open) {
            closeQuietly(s);
        }
    }

    /** Whether this server was down at any moment between the two {@link System#nanoTime()} readings. */
    synchronized boolean wasDownBetween(final long fromNanos, final long toNanos) {
        for (final long[] down : downs) {
            if (down[0] - toNanos <= 0 && down[1] - fromNanos >= 0) {
                return true;
            }
        }
        return false;
    }

    /** Times it was stopped. */
    synchronized int stops() {
        return downs.size();
    }

    @Override
    public void close() {
        stop();
    }

    private void accept(final ServerSocket listening) {
        while (!listening.isClosed()) {
            final Socket s;
            try {
                s = listening.accept();
            } catch (final IOException e) {
                return;
            }
            accepted.incrementAndGet();
            open.add(s);
            Thread.ofVirtual().start(() -> serve(s));
        }
    }

    private void serve(final Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            final InputStream in = s.getInputStream();
            final OutputStream out = s.getOutputStream();
            out.write(id);
            final byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
            s.shutdownOutput();
        } catch (final IOException e) {
            // the client, niolb or a stop() ended it
        } finally {
            open.remove(s);
        }
    }

    private void echo(final DatagramSocket socket) {
        final byte[] in = new byte[65_536];
        final byte[] out = new byte[65_537];
        out[0] = (byte) id;
        final DatagramPacket packet = new DatagramPacket(in, in.length);
        while (!socket.isClosed()) {
            try {
                packet.setData(in);
                socket.receive(packet);
                datagrams.incrementAndGet();
                System.arraycopy(in, 0, out, 1, packet.getLength());
                socket.send(new DatagramPacket(out, packet.getLength() + 1, packet.getSocketAddress()));
            } catch (final IOException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    private static void closeQuietly(final AutoCloseable c) {
        try {
            c.close();
        } catch (final Exception ignored) {
            // closing anyway
        }
    }
}
