package dev.niolb.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A server that is slow to accept, made so by the kernel: a listening socket with a backlog of 1 whose accept
 * queue the constructor fills with two connections of its own and that nobody accepts. Linux then drops every SYN
 * that comes (the queue is full: {@code ListenOverflows}), and a connecting client retransmits its SYN after its
 * initial retransmission timeout of 1 s; so a connect to it takes at least 1 s, or 3 s, and so on, until
 * {@link #acceptFromNowOn} empties the queue. From then on it greets each connection with its name and echoes.
 */
public final class FullBacklogServer implements AutoCloseable {
    private final ServerSocket socket;
    private final String greeting;
    private final List<Socket> fillers;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    public FullBacklogServer(final String greeting) throws IOException {
        this.greeting = greeting;
        this.socket = new ServerSocket();
        socket.bind(new InetSocketAddress("127.0.0.1", 0), 1);
        // a backlog of 1 holds two established connections (full is more than the backlog, not equal to it)
        this.fillers = List.of(fill(), fill());
        awaitFullQueue();
    }

    /**
     * Waits until the kernel has both fillers in the accept queue. A connect returns when the SYN-ACK arrives;
     * the listener queues the connection when it has processed the client's last ACK, which on a loaded host can
     * come later. A SYN that arrived in between found room, was answered, and connected in a millisecond
     * instead of the 1 s this server is for (a failure of LeastTimeAndRandomThroughSocketsTest, session 24).
     */
    private void awaitFullQueue() throws IOException {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (acceptQueueLength() < 2) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the accept queue of " + address() + " holds " + acceptQueueLength()
                    + " connections, not 2, after 5 s");
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /**
     * The listener's accept queue as the kernel's table has it: a LISTEN socket's rx_queue (-1 if not found). In
     * tcp6 as well: the JDK's sockets are IPv6 ones unless told otherwise, 127.0.0.1 there ::ffff:127.0.0.1.
     */
    private int acceptQueueLength() throws IOException {
        final String port = String.format(":%04X", address().getPort());
        for (final String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (final String line : Files.readAllLines(Path.of(table))) {
                final String[] f = line.trim().split("\\s+");
                if (f.length > 4 && f[1].endsWith("7F" + port) && f[3].equals("0A")) {
                    return Integer.parseInt(f[4].substring(f[4].indexOf(':') + 1), 16);
                }
            }
        }
        return -1;
    }

    private Socket fill() throws IOException {
        final Socket s = new Socket();
        s.connect(socket.getLocalSocketAddress(), 2000);
        return s;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Accepts what is queued, which makes room for the next SYN, and every connection after it. */
    public void acceptFromNowOn() {
        Thread.ofVirtual().start(() -> {
            while (!socket.isClosed()) {
                try {
                    final Socket s = socket.accept();
                    open.add(s);
                    Thread.ofVirtual().start(() -> serve(s));
                } catch (final IOException e) {
                    return;
                }
            }
        });
    }

    private void serve(final Socket s) {
        try (s) {
            s.getOutputStream().write((greeting + "\n").getBytes(StandardCharsets.UTF_8));
            final InputStream in = s.getInputStream();
            final byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) >= 0) {
                s.getOutputStream().write(buf, 0, n);
            }
        } catch (final IOException ignored) {
            // the client went away
        } finally {
            open.remove(s);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (final Socket s : fillers) {
            s.close();
        }
        for (final Socket s : open) {
            s.close();
        }
    }
}
