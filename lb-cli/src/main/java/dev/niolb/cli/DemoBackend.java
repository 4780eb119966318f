package dev.niolb.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A toy backend for {@code niolb demo}: greets each connection with a line naming itself, then echoes.
 *
 * <p>Blocking sockets on virtual threads: the simplest correct server, and deliberately not the engine.
 *
 * <p>Threading: one virtual thread accepts, one per connection serves; {@link #close()} from any thread.
 */
final class DemoBackend implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.demo");

    private final String name;
    private final ServerSocket listener;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    private DemoBackend(final String name, final ServerSocket listener) {
        this.name = name;
        this.listener = listener;
    }

    /** Binds an ephemeral port on 127.0.0.1 and starts accepting. */
    static DemoBackend start(final String name) throws IOException {
        final ServerSocket listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        final DemoBackend backend = new DemoBackend(name, listener);
        Thread.ofVirtual().name(name + "-accept").start(backend::acceptLoop);
        return backend;
    }

    String name() {
        return name;
    }

    InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                final Socket socket = listener.accept();
                open.add(socket);
                Thread.ofVirtual().name(name + "-conn").start(() -> serve(socket));
            } catch (final IOException e) {
                if (!listener.isClosed()) {
                    LOG.warn("{} accept failed: {}", name, e.getMessage());
                }
            }
        }
    }

    private void serve(final Socket socket) {
        // the peer is niolb's side of the connection (niolb does not pass the client's address on)
        final InetSocketAddress peer = (InetSocketAddress) socket.getRemoteSocketAddress();
        LOG.info("{} served {}:{}", name, peer.getAddress().getHostAddress(), peer.getPort());
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            out.write(("hello from " + name + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            in.transferTo(out);
        } catch (final IOException e) {
            // a reset or our own close(): the connection is over either way
        } finally {
            open.remove(socket);
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (final IOException e) {
            // closing: nothing to do
        }
        for (final Socket s : open) {
            try {
                s.close();
            } catch (final IOException e) {
                // closing: nothing to do
            }
        }
    }
}
