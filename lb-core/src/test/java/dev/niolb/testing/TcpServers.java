package dev.niolb.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Peers that misbehave in the ways real servers do, for tests. */
public final class TcpServers {
    private TcpServers() {
    }

    /** The sockets that hold the refusing addresses' ports, for the life of the test JVM. */
    private static final List<Socket> REFUSING = new CopyOnWriteArrayList<>();

    /**
     * A loopback address where nothing listens: connects are refused at once. Its port stays bound (by a socket that
     * never listens) for the life of the test JVM: a port merely freed is soon handed out again, to a listener bound
     * to port 0 or to an outgoing connection, and a niolb whose "dead" server is its own listener connects to itself
     * until it runs out of descriptors.
     */
    public static InetSocketAddress refusingAddress() throws IOException {
        final Socket s = new Socket();
        s.bind(new InetSocketAddress("127.0.0.1", 0));
        REFUSING.add(s);
        return (InetSocketAddress) s.getLocalSocketAddress();
    }

    /**
     * A loopback address whose port was free a moment ago, for a test that binds it itself. Not for a server that
     * must refuse: the port may be handed out again at any time (see {@link #refusingAddress()}).
     */
    public static InetSocketAddress freeAddress() throws IOException {
        return new InetSocketAddress("127.0.0.1", Ports.freeForTcpAndUdp());
    }

    /**
     * A listening socket that never accepts, its accept queue filled: connects to it hang in SYN_SENT (the
     * kernel drops SYNs for a full queue), as with a server that is a black hole for connects.
     */
    public static final class BlackHole implements AutoCloseable {
        private final ServerSocket socket;
        private final List<Socket> fillers = new ArrayList<>();

        public BlackHole() throws IOException {
            socket = new ServerSocket();
            socket.bind(new InetSocketAddress("127.0.0.1", 0), 1);
            // Linux accepts backlog+1 connections into the queue; a few more make sure it is full
            for (int i = 0; i < 4; i++) {
                final Socket filler = new Socket();
                try {
                    filler.connect(socket.getLocalSocketAddress(), 200);
                    fillers.add(filler);
                } catch (final IOException e) {
                    filler.close(); // queue full: exactly what we wanted
                    break;
                }
            }
        }

        public InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        @Override
        public void close() throws IOException {
            for (final Socket s : fillers) {
                s.close();
            }
            socket.close();
        }
    }

    /**
     * A server that runs {@code behaviour} on each accepted socket in a virtual thread, then closes it.
     *
     * <p>A script that throws while the test runs is a failure of that test: {@link #close()} (the test's tear-down)
     * throws an {@link AssertionError} carrying what the script threw. Only what a script throws after
     * {@code close()} began is ignored, since closing its socket under it is the test's doing. A script that expects
     * its peer to end the connection abruptly catches that itself.
     *
     * <p>Threading: the accept loop and each script run on virtual threads of their own; {@link #close()} from the
     * test's thread.
     */
    public static final class Scripted implements AutoCloseable {
        private static final long CLOSE_WAIT_MS = 5000;

        private final ServerSocket socket;
        private final Thread acceptor;
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();
        private final Set<Thread> running = ConcurrentHashMap.newKeySet();
        private final List<Throwable> failures = new CopyOnWriteArrayList<>();
        private volatile boolean closing;

        public Scripted(final Consumer<Socket> behaviour) throws IOException {
            socket = new ServerSocket();
            socket.bind(new InetSocketAddress("127.0.0.1", 0), 128);
            acceptor = Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        final Socket s = socket.accept();
                        open.add(s);
                        final Thread script = Thread.ofVirtual().unstarted(() -> run(behaviour, s));
                        running.add(script);
                        script.start();
                    } catch (final IOException e) {
                        return;
                    }
                }
            });
        }

        private void run(final Consumer<Socket> behaviour, final Socket s) {
            try (s) {
                try {
                    behaviour.accept(s);
                } catch (final Throwable t) {
                    // recorded before the socket closes: the peer sees the end only after this, so a test that
                    // waits for the session's end cannot reach close() before the failure is known
                    if (!closing) {
                        failures.add(t);
                    }
                }
            } catch (final IOException ignored) {
                // closing an accepted socket: nothing the script asked for
            } finally {
                open.remove(s);
                running.remove(Thread.currentThread());
            }
        }

        public InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        /**
         * Stops accepting, closes the connections still open (which ends scripts blocked on them) and waits for the
         * scripts to end.
         *
         * @throws AssertionError when a script threw before this was called, with the first failure as its cause
         */
        @Override
        public void close() throws IOException {
            closing = true;
            Acceptors.closeAndAwait(socket, acceptor);
            for (final Socket s : open) {
                s.close();
            }
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MS);
            for (final Thread script : running) {
                try {
                    if (!script.join(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                        throw new AssertionError("a scripted server's script still runs " + CLOSE_WAIT_MS
                            + " ms after its sockets were closed");
                    }
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted while waiting for a scripted server's scripts", e);
                }
            }
            if (!failures.isEmpty()) {
                final AssertionError error = new AssertionError("the scripted server's script failed: "
                    + failures.getFirst(), failures.getFirst());
                failures.stream().skip(1).forEach(error::addSuppressed);
                throw error;
            }
        }
    }

    /** Reads until end of stream or {@code limit} bytes. */
    public static byte[] readAll(final InputStream in, final int limit) throws IOException {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        final byte[] buf = new byte[64 * 1024];
        int n;
        while (out.size() < limit && (n = in.read(buf, 0, Math.min(buf.length, limit - out.size()))) >= 0) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    /**
     * Reads until the peer ends the connection, with a FIN or with a reset (niolb ends its health checks with a
     * reset, as HAProxy does): for a script whose peer decides when and how the connection ends.
     *
     * @return the bytes read before the end
     */
    public static long readUntilPeerEnds(final InputStream in) throws IOException {
        final byte[] buf = new byte[8192];
        long total = 0;
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                total += n;
            }
        } catch (final SocketException e) {
            if (!String.valueOf(e.getMessage()).contains("reset")) {
                throw e;
            }
        }
        return total;
    }

    /** Writes {@code data} in chunks. */
    public static void writeAll(final OutputStream out, final byte[] data, final int chunk) throws IOException {
        for (int off = 0; off < data.length; off += chunk) {
            out.write(data, off, Math.min(chunk, data.length - off));
        }
        out.flush();
    }
}
