package dev.niolb.bench.harness.load;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** Blocking read-fully and write-fully over a {@link SocketChannel}. Stateless. */
final class Io {

    private Io() {
    }

    static void writeFully(final SocketChannel channel, final ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /**
     * Reads until {@code buffer} is full.
     *
     * @return the nanoTime at which the first byte arrived
     * @throws EOFException if the peer closed first
     */
    static long readFully(final SocketChannel channel, final ByteBuffer buffer) throws IOException {
        long first = 0;
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException("closed after " + buffer.position() + " of " + buffer.limit() + " bytes");
            }
            if (first == 0) {
                first = System.nanoTime();
            }
        }
        return first;
    }

    static ByteBuffer payload(final int size) {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(size);
        for (int i = 0; i < size; i++) {
            buffer.put(i, (byte) ('A' + i % 26));
        }
        return buffer;
    }
}
