package dev.niolb.bench.harness.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;

/**
 * The harness's UDP echo: every datagram goes back to its sender unchanged. One blocking
 * {@link DatagramChannel} served by one thread; {@link #stop()} closes it from any thread.
 */
final class UdpEchoLoop implements Runnable {

    private final DatagramChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(65_536);

    UdpEchoLoop(final InetSocketAddress bindAddress) throws IOException {
        this.channel = DatagramChannel.open();
        channel.bind(bindAddress);
    }

    InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void stop() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void run() {
        try {
            while (true) {
                buffer.clear();
                final SocketAddress sender = channel.receive(buffer);
                buffer.flip();
                channel.send(buffer, sender);
            }
        } catch (ClosedChannelException e) {
            // stopped
        } catch (IOException e) {
            System.err.println("udp echo failed: " + e);
        }
    }
}
