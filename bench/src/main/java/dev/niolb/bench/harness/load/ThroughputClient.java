package dev.niolb.bench.harness.load;

import dev.niolb.bench.harness.backend.Backend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * Bulk transfer over {@code connections} connections: {@code UP} writes to the backend's sink,
 * {@code DOWN} reads from its source, {@code BOTH} does both at once on each connection (a writer and a
 * reader thread per connection). {@link #completed()} counts bytes moved, both directions summed. A
 * connection that fails counts as an error and is replaced after 10 ms.
 */
public final class ThroughputClient extends LoadThreads {

    /** Which way the bytes go. */
    public enum Direction {
        UP, DOWN, BOTH;

        public static Direction parse(final String text) {
            return valueOf(text.strip().toUpperCase(Locale.ROOT));
        }
    }

    private final InetSocketAddress target;
    private final int bufferSize;

    public ThroughputClient(final InetSocketAddress target, final Direction direction, final int connections,
                            final int bufferSize, final LoadWindow window) {
        super(window);
        if (connections < 1 || bufferSize < 1) {
            throw new IllegalArgumentException("connections and buffer size must be positive");
        }
        this.target = target;
        this.bufferSize = bufferSize;
        for (int i = 0; i < connections; i++) {
            final int index = i;
            spawn("bulk-" + i, () -> connect(index, direction));
        }
    }

    private void connect(final int index, final Direction direction) {
        final byte mode = switch (direction) {
            case UP -> Backend.SINK;
            case DOWN -> Backend.SOURCE;
            case BOTH -> Backend.DUPLEX;
        };
        // a connection that fails is counted and replaced until the window ends
        while (running()) {
            SocketChannel channel = null;
            try {
                channel = closeAtEnd(SocketChannel.open());
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                channel.connect(target);
                Io.writeFully(channel, ByteBuffer.wrap(new byte[] {mode}));
                if (direction == Direction.BOTH) {
                    final SocketChannel both = channel;
                    final Thread reader = new Thread(() -> read(both), "bulk-read-" + index);
                    reader.setDaemon(true);
                    reader.start();
                    write(channel);
                    channel.close(); // a failed writer unblocks the reader, and the other way round
                    reader.join();
                } else if (direction == Direction.UP) {
                    write(channel);
                } else {
                    read(channel);
                }
            } catch (IOException e) {
                failed(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                if (channel != null) {
                    forget(channel);
                    try {
                        channel.close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
            }
            if (running()) {
                LoadWindow.parkUntil(System.nanoTime() + 10_000_000L);
            }
        }
    }

    private void write(final SocketChannel channel) {
        final ByteBuffer buffer = Io.payload(bufferSize);
        try {
            while (running()) {
                completed.add(channel.write(buffer.clear()));
            }
            channel.shutdownOutput();
        } catch (IOException e) {
            failed(e);
        }
    }

    private void read(final SocketChannel channel) {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(bufferSize);
        try {
            while (running()) {
                final int n = channel.read(buffer.clear());
                if (n < 0) {
                    break;
                }
                completed.add(n);
            }
        } catch (IOException e) {
            failed(e);
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    public Histogram latency() {
        return null;
    }
}
