package dev.niolb.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend that misbehaves on purpose, for the fault tests: each accepted connection runs a {@link Behaviour}
 * in its own virtual thread, and the server counts how its connections ended as the server saw them (the
 * client's end of stream, a reset, or the server's own doing). {@link #crash()} drops the listening socket and
 * every connection at once, as a killed process does.
 *
 * <p>Threadsafe: the counters are atomics; behaviours run concurrently.
 */
public final class FaultyServer implements AutoCloseable {
    /** What the server does with one accepted connection; the server closes the socket afterwards. */
    @FunctionalInterface
    public interface Behaviour {
        void serve(Socket socket, FaultyServer server) throws IOException;
    }

    private final ServerSocket socket;
    private final Thread acceptor;
    private final Behaviour behaviour;
    private final ThreadFactory threads;
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger endOfStream = new AtomicInteger();
    private final AtomicInteger resets = new AtomicInteger();
    private final AtomicInteger headerTimeouts = new AtomicInteger();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final CountDownLatch closed = new CountDownLatch(1);

    /** On an ephemeral loopback port with a backlog of 4096 (storms of connects must not overflow it). */
    public FaultyServer(final Behaviour behaviour) throws IOException {
        this(behaviour, Thread.ofVirtual().factory());
    }

    /**
     * @param threads makes the thread of each connection: platform threads for a server whose connections
     *                must not wait behind thousands of virtual threads of a test's making
     */
    public FaultyServer(final Behaviour behaviour, final ThreadFactory threads) throws IOException {
        this.behaviour = behaviour;
        this.threads = threads;
        this.socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
        acceptor = Thread.ofVirtual().name("faulty-accept").start(this::acceptLoop);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Connections whose client side ended with a clean end of stream, as read by a behaviour. */
    public int endOfStream() {
        return endOfStream.get();
    }

    /** Connections that ended with a reset from the other side (the proxy passing on a client's reset). */
    public int resets() {
        return resets.get();
    }

    /** Connections the {@link #headerTimeout} behaviour ended because the request did not arrive in time. */
    public int headerTimeouts() {
        return headerTimeouts.get();
    }

    /** Connections open now. */
    public int open() {
        return open.size();
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            final Socket s;
            try {
                s = socket.accept();
            } catch (final IOException e) {
                return;
            }
            accepted.incrementAndGet();
            open.add(s);
            threads.newThread(() -> {
                try (s) {
                    s.setTcpNoDelay(true);
                    behaviour.serve(s, this);
                } catch (final SocketException e) {
                    if (isReset(e)) {
                        resets.incrementAndGet();
                    }
                } catch (final IOException | RuntimeException ignored) {
                    // the behaviour decides how the connection ends
                } finally {
                    open.remove(s);
                }
            }).start();
        }
    }

    private static boolean isReset(final SocketException e) {
        final String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        return m.contains("reset") || m.contains("broken pipe");
    }

    /** Reads until the client's end of stream (counted) or a reset (thrown, counted by the server). */
    public void drainToEnd(final InputStream in) throws IOException {
        final byte[] buf = new byte[64 * 1024];
        while (in.read(buf) >= 0) {
            // discard
        }
        endOfStream.incrementAndGet();
    }

    /**
     * Closes the listening socket and every connection at once, as the kernel does for a process that was
     * killed: a connection with unread input is reset, the others get a FIN. Connects to its port are refused
     * from now on.
     */
    public void crash() throws IOException {
        closed.countDown();
        Acceptors.closeAndAwait(socket, acceptor);
        for (final Socket s : open) {
            s.close();
        }
    }

    @Override
    public void close() throws IOException {
        crash();
    }

    // ------------------------------------------------------------------------------------------- behaviours

    /** Echoes every byte; on the client's end of stream, half-closes after the last byte (a healthy server). */
    public static Behaviour echo() {
        return (s, server) -> {
            final InputStream in = s.getInputStream();
            final OutputStream out = s.getOutputStream();
            final byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
            server.endOfStream.incrementAndGet();
            s.shutdownOutput();
        };
    }

    /** Accepts and then does nothing at all: reads nothing, writes nothing, until the other side goes. */
    public static Behaviour hang() {
        return (s, server) -> {
            try {
                server.closed.await();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    /** Writes {@code chunk} forever, reading nothing: a server that streams to a client that may not read. */
    public static Behaviour firehose(final byte[] chunk) {
        return (s, server) -> {
            final OutputStream out = s.getOutputStream();
            while (true) {
                out.write(chunk);
            }
        };
    }

    /** Reads the client's request until its end of stream, then sends {@code answer} and closes cleanly. */
    public static Behaviour answerAfterEndOfStream(final byte[] answer) {
        return (s, server) -> {
            server.drainToEnd(s.getInputStream());
            TcpServers.writeAll(s.getOutputStream(), answer, 64 * 1024);
            s.shutdownOutput();
        };
    }

    /** Reads one byte (the request), sends the first {@code n} bytes of {@code data}, then resets the connection. */
    public static Behaviour resetAfter(final byte[] data, final int n) {
        return (s, server) -> {
            if (s.getInputStream().read() < 0) {
                return;
            }
            TcpServers.writeAll(s.getOutputStream(), java.util.Arrays.copyOf(data, n), 16 * 1024);
            s.setSoLinger(true, 0);
        };
    }

    /**
     * An HTTP server's defence against slowloris: the request head ({@code \r\n\r\n}) must arrive within
     * {@code limit} of the connection, however the bytes trickle in. When it does not, the server answers 408,
     * half-closes and reads on to the client's end (so that the client's last drips meet no reset).
     */
    public static Behaviour headerTimeout(final Duration limit) {
        return (s, server) -> {
            final long deadline = System.nanoTime() + limit.toNanos();
            final InputStream in = s.getInputStream();
            int matched = 0;
            while (matched < 4) {
                final long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                final int b;
                try {
                    s.setSoTimeout((int) Math.max(1, left));
                    b = in.read();
                } catch (final SocketTimeoutException e) {
                    server.headerTimeouts.incrementAndGet();
                    s.getOutputStream().write("HTTP/1.1 408 Request Timeout\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    s.shutdownOutput();
                    s.setSoTimeout(0);
                    server.drainToEnd(in);
                    return;
                }
                if (b < 0) {
                    server.endOfStream.incrementAndGet();
                    return;
                }
                matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
            }
            s.getOutputStream().write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            server.drainToEnd(in);
        };
    }

    /** Reads until the client's end of stream or a reset: how did the proxy end the connection? */
    public static Behaviour sink() {
        return (s, server) -> server.drainToEnd(s.getInputStream());
    }
}
