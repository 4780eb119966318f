package dev.niolb.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A blocking echo server on a loopback ephemeral port, one virtual thread per connection: a real peer for tests.
 * Optionally greets each connection with {@code greeting\n} first. On end of stream from the client it
 * shuts its output down after echoing everything (a clean half-close), then closes.
 */
public final class EchoServer implements AutoCloseable {
    private final ServerSocket socket;
    private final String greeting;
    private final AtomicInteger accepted = new AtomicInteger();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;

    public EchoServer() throws IOException {
        this(null);
    }

    public EchoServer(final String greeting) throws IOException {
        this(new InetSocketAddress("127.0.0.1", 0), greeting);
    }

    /** An echo server on {@code bind}: a fixed port brings a "killed" server back where it was. */
    public EchoServer(final InetSocketAddress bind, final String greeting) throws IOException {
        this.greeting = greeting;
        this.socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(bind, 1024);
        this.acceptor = Thread.ofVirtual().start(this::acceptLoop);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                final Socket s = socket.accept();
                accepted.incrementAndGet();
                open.add(s);
                Thread.ofVirtual().start(() -> serve(s));
            } catch (final IOException e) {
                return;
            }
        }
    }

    private void serve(final Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            final InputStream in = s.getInputStream();
            final OutputStream out = s.getOutputStream();
            if (greeting != null) {
                out.write((greeting + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            final byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
            s.shutdownOutput();
        } catch (final IOException ignored) {
            // the client went away: nothing to echo to
        } finally {
            open.remove(s);
        }
    }

    @Override
    public void close() throws IOException {
        Acceptors.closeAndAwait(socket, acceptor); // refused from now on, not accepted and then reset
        for (final Socket s : open) {
            s.close();
        }
    }
}
