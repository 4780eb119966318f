package dev.niolb.bench.harness.load;

import dev.niolb.bench.harness.backend.Backend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds many idle echo connections through a target and checks they all still answer: {@link #open}
 * connects them one after another (each sends the echo byte), {@link #ping} sends one byte on every
 * connection and counts those that echo it back within a timeout. Owned by one thread; close it.
 */
public final class IdleConnections implements AutoCloseable {

    private final InetSocketAddress target;
    private final List<SocketChannel> channels = new ArrayList<>();
    private long openNanos;

    public IdleConnections(final InetSocketAddress target) {
        this.target = target;
    }

    /**
     * Opens up to {@code count} connections before {@code deadline} (nanoTime).
     *
     * @return the number opened; fewer than asked when a connect fails or time runs out
     */
    public int open(final int count, final long deadline) {
        final long start = System.nanoTime();
        final ByteBuffer hello = ByteBuffer.allocateDirect(1).put(0, Backend.ECHO);
        try (Selector selector = Selector.open()) {
            while (channels.size() < count) {
                final long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    break;
                }
                final SocketChannel channel = SocketChannel.open();
                boolean connected = false;
                try {
                    connected = connect(channel, selector, left, hello);
                } finally {
                    if (!connected) {
                        channel.close();
                    }
                }
                if (!connected) {
                    break;
                }
                channels.add(channel);
            }
        } catch (IOException e) {
            // report how many made it
        }
        openNanos = System.nanoTime() - start;
        return channels.size();
    }

    private boolean connect(final SocketChannel channel, final Selector selector, final long timeoutMillis,
                            final ByteBuffer hello) throws IOException {
        channel.configureBlocking(false);
        if (!channel.connect(target)) {
            // non-blocking connect so that a target that stops accepting cannot hold us past the deadline
            final SelectionKey key = channel.register(selector, SelectionKey.OP_CONNECT);
            selector.select(timeoutMillis);
            key.cancel();
            selector.selectNow();
            if (!channel.finishConnect()) {
                return false;
            }
        }
        return channel.write(hello.clear()) == 1;
    }

    public int size() {
        return channels.size();
    }

    public double openSeconds() {
        return openNanos / 1e9;
    }

    /** Sends {@code token} on every connection and counts the echoes that come back within {@code timeout}. */
    public int ping(final byte token, final Duration timeout) throws IOException {
        final ByteBuffer out = ByteBuffer.allocateDirect(1).put(0, token);
        final ByteBuffer in = ByteBuffer.allocateDirect(1);
        int answered = 0;
        try (Selector selector = Selector.open()) {
            for (SocketChannel channel : channels) {
                try {
                    if (channel.write(out.clear()) == 1) {
                        channel.register(selector, SelectionKey.OP_READ);
                    }
                } catch (IOException e) {
                    // a dead connection does not answer
                }
            }
            final long deadline = System.nanoTime() + timeout.toNanos();
            int waiting = selector.keys().size();
            while (waiting > 0) {
                final long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    break;
                }
                selector.select(left);
                for (SelectionKey key : selector.selectedKeys()) {
                    key.cancel();
                    waiting--;
                    try {
                        if (((SocketChannel) key.channel()).read(in.clear()) == 1 && in.get(0) == token) {
                            answered++;
                        }
                    } catch (IOException e) {
                        // counted as not answering
                    }
                }
                selector.selectedKeys().clear();
            }
        }
        // leave every channel unregistered and non-blocking for the next ping
        return answered;
    }

    @Override
    public void close() {
        for (SocketChannel channel : channels) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        channels.clear();
    }
}
