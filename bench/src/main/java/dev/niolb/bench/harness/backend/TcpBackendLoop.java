package dev.niolb.bench.harness.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * One NIO event loop of the harness's TCP backend: it owns a listening socket (bound with
 * {@code SO_REUSEPORT}, so several loops can share a port) and every connection it accepts.
 *
 * <p>The first byte a client sends picks what the connection does for the rest of its life:
 * <pre>
 *   'e'  echo    every following byte is written back, in order
 *   's'  sink    every following byte is read and dropped
 *   'o'  source  the backend writes bulk bytes as fast as the client reads them (input is dropped)
 *   'd'  duplex  sink and source at once
 * </pre>
 * One port serves every scenario, so a proxy under test needs one listener and one server.
 *
 * <p>An idle connection holds no buffer: reads go through one shared direct buffer per loop, and an
 * echo connection takes a private buffer only while a write back is partial (and stops reading until
 * it drains). Owned by its one thread; {@link #stop()} may be called from any thread.
 */
final class TcpBackendLoop implements Runnable {

    static final byte ECHO = 'e';
    static final byte SINK = 's';
    static final byte SOURCE = 'o';
    static final byte DUPLEX = 'd';

    private static final int BUFFER_SIZE = 256 * 1024;

    private final Selector selector;
    private final ServerSocketChannel server;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(BUFFER_SIZE);
    private final ByteBuffer sourceBuffer = ByteBuffer.allocateDirect(BUFFER_SIZE);
    private volatile boolean running = true;

    TcpBackendLoop(final InetSocketAddress bindAddress) throws IOException {
        this.selector = Selector.open();
        this.server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        server.bind(bindAddress, 4096);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        for (int i = 0; i < BUFFER_SIZE; i++) {
            sourceBuffer.put(i, (byte) ('a' + i % 26));
        }
    }

    InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) server.getLocalAddress();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void stop() {
        running = false;
        selector.wakeup();
    }

    @Override
    public void run() {
        try {
            while (running) {
                selector.select(this::onReady);
            }
        } catch (IOException | ClosedSelectorException e) {
            if (running) {
                System.err.println("backend loop failed: " + e);
            }
        } finally {
            closeAll();
        }
    }

    private void onReady(final SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        try {
            if (key.isAcceptable()) {
                accept();
                return;
            }
            final Connection connection = (Connection) key.attachment();
            if (key.isReadable() && !read(key, connection)) {
                return;
            }
            if (key.isValid() && key.isWritable()) {
                write(key, connection);
            }
        } catch (IOException e) {
            close(key);
        }
    }

    private void accept() throws IOException {
        SocketChannel channel;
        while ((channel = server.accept()) != null) {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.register(selector, SelectionKey.OP_READ, new Connection(channel));
        }
    }

    /** Returns false when the connection was closed. */
    private boolean read(final SelectionKey key, final Connection connection) throws IOException {
        final ByteBuffer buffer = readBuffer.clear();
        final int n = connection.channel.read(buffer);
        if (n < 0) {
            close(key);
            return false;
        }
        if (n == 0) {
            return true;
        }
        buffer.flip();
        if (connection.mode == 0) {
            connection.mode = buffer.get();
            switch (connection.mode) {
                case ECHO, SINK -> { }
                case SOURCE, DUPLEX -> key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                default -> {
                    close(key);
                    return false;
                }
            }
        }
        if (connection.mode == ECHO && buffer.hasRemaining()) {
            connection.channel.write(buffer);
            if (buffer.hasRemaining()) {
                // The client is not reading fast enough: keep the rest and stop reading until it drains.
                connection.pending = ByteBuffer.allocateDirect(buffer.remaining()).put(buffer).flip();
                key.interestOps(SelectionKey.OP_WRITE);
            }
        }
        return true;
    }

    private void write(final SelectionKey key, final Connection connection) throws IOException {
        if (connection.mode == ECHO) {
            final ByteBuffer pending = connection.pending;
            if (pending != null) {
                connection.channel.write(pending);
                if (!pending.hasRemaining()) {
                    connection.pending = null;
                    key.interestOps(SelectionKey.OP_READ);
                }
            }
            return;
        }
        // source and duplex: write until the socket buffer is full, a few times at most
        for (int i = 0; i < 4; i++) {
            final ByteBuffer source = sourceBuffer.clear();
            connection.channel.write(source);
            if (source.hasRemaining()) {
                return;
            }
        }
    }

    private static void close(final SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private void closeAll() {
        try {
            for (SelectionKey key : selector.keys()) {
                try {
                    key.channel().close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            selector.close();
        } catch (IOException | ClosedSelectorException ignored) {
            // closing anyway
        }
    }

    /** Per-connection state; touched only by the loop thread. */
    private static final class Connection {
        final SocketChannel channel;
        byte mode;
        ByteBuffer pending;

        Connection(final SocketChannel channel) {
            this.channel = channel;
        }
    }
}
