package dev.niolb.bench.harness.load;

import dev.niolb.bench.harness.backend.Backend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.HdrHistogram.Histogram;

/**
 * New connections as fast as {@code clients} threads can make them: open, send the echo byte and a
 * small request, read the reply, close (the client closes first). Latency is from the start of the
 * connect to the first byte of the reply.
 */
public final class ConnRateClient extends LoadThreads {

    private static final long HIGHEST = 60_000_000_000L;

    private final InetSocketAddress target;
    private final int messageSize;

    public ConnRateClient(final InetSocketAddress target, final int clients, final int messageSize,
                          final LoadWindow window) {
        super(window);
        if (clients < 1 || messageSize < 1) {
            throw new IllegalArgumentException("clients and message size must be positive");
        }
        this.target = target;
        this.messageSize = messageSize;
        for (int i = 0; i < clients; i++) {
            spawn("connrate-" + i, this::run);
        }
    }

    private void run() {
        final Histogram histogram = Load.newHistogram();
        final ByteBuffer out = ByteBuffer.allocateDirect(messageSize + 1);
        out.put(Backend.ECHO).put(Io.payload(messageSize)).flip();
        final ByteBuffer in = ByteBuffer.allocateDirect(messageSize);
        try {
            while (running()) {
                final long start = System.nanoTime();
                final long firstByte;
                final SocketChannel channel = SocketChannel.open();
                closeAtEnd(channel);
                try {
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    channel.connect(target);
                    Io.writeFully(channel, out.clear());
                    firstByte = Io.readFully(channel, in.clear());
                } catch (IOException e) {
                    failed(e);
                    LoadWindow.parkUntil(System.nanoTime() + 1_000_000); // do not spin on a refusing target
                    continue;
                } finally {
                    forget(channel);
                    channel.close();
                }
                if (window.measures(start, System.nanoTime())) {
                    histogram.recordValue(Math.min(HIGHEST, firstByte - start));
                }
                completed.increment();
            }
        } catch (IOException e) {
            failed(e);
        } finally {
            merge(histogram);
        }
    }
}
