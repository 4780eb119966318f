package dev.niolb.bench.harness.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class BackendTest {

    private Backend backend;

    @BeforeEach
    void start() throws IOException {
        backend = Backend.start(InetAddress.getLoopbackAddress(), 0, 0, 2);
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    @Test
    void anEchoConnectionReturnsEveryByteExactlyInOrder() throws Exception {
        final byte[] sent = new byte[3 * 1024 * 1024 + 17];
        new Random(42).nextBytes(sent);
        try (SocketChannel channel = SocketChannel.open(backend.tcpAddress())) {
            channel.write(ByteBuffer.wrap(new byte[] {Backend.ECHO}));
            // write from another thread: 3 MiB does not fit in the socket buffers both ways
            final CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    final ByteBuffer out = ByteBuffer.wrap(sent);
                    while (out.hasRemaining()) {
                        channel.write(out);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            final ByteBuffer in = ByteBuffer.allocate(sent.length);
            while (in.hasRemaining()) {
                assertThat(channel.read(in)).isNotNegative();
            }
            writer.get();
            assertThat(in.array()).isEqualTo(sent);
        }
    }

    @Test
    void aSinkConnectionSwallowsEverythingAndClosesAtEndOfStream() throws IOException {
        try (SocketChannel channel = SocketChannel.open(backend.tcpAddress())) {
            final ByteBuffer out = ByteBuffer.allocate(1024 * 1024);
            out.put(Backend.SINK).position(0);
            while (out.hasRemaining()) {
                channel.write(out);
            }
            channel.shutdownOutput();
            assertThat(channel.read(ByteBuffer.allocate(16))).isEqualTo(-1);
        }
    }

    @Test
    void aSourceConnectionStreamsBulkLetters() throws IOException {
        try (SocketChannel channel = SocketChannel.open(backend.tcpAddress())) {
            channel.write(ByteBuffer.wrap(new byte[] {Backend.SOURCE}));
            final ByteBuffer in = ByteBuffer.allocate(2 * 1024 * 1024);
            while (in.hasRemaining()) {
                assertThat(channel.read(in)).isNotNegative();
            }
            for (int i = 0; i < in.capacity(); i += 4099) {
                assertThat((char) in.get(i)).isBetween('a', 'z');
            }
        }
    }

    @Test
    void aDuplexConnectionSinksWhatItReadsWhileItStreams() throws IOException {
        try (SocketChannel channel = SocketChannel.open(backend.tcpAddress())) {
            channel.write(ByteBuffer.wrap(new byte[] {Backend.DUPLEX, 'x', 'y', 'z'}));
            final ByteBuffer in = ByteBuffer.allocate(256 * 1024);
            while (in.hasRemaining()) {
                assertThat(channel.read(in)).isNotNegative();
            }
            assertThat((char) in.get(0)).isBetween('a', 'z');
        }
    }

    @Test
    void anUnknownFirstByteClosesTheConnection() throws IOException {
        try (SocketChannel channel = SocketChannel.open(backend.tcpAddress())) {
            channel.write(ByteBuffer.wrap(new byte[] {'?', 'a'}));
            assertThat(channel.read(ByteBuffer.allocate(4))).isEqualTo(-1);
        }
    }

    @Test
    void theUdpEchoReturnsEachDatagramUnchanged() throws IOException {
        try (DatagramChannel channel = DatagramChannel.open()) {
            channel.connect(backend.udpAddress());
            for (int i = 0; i < 10; i++) {
                final byte[] payload = ("datagram " + i).getBytes();
                channel.write(ByteBuffer.wrap(payload));
                final ByteBuffer in = ByteBuffer.allocate(64);
                channel.read(in);
                assertThat(in.flip().remaining()).isEqualTo(payload.length);
                final byte[] got = new byte[payload.length];
                in.get(got);
                assertThat(got).isEqualTo(payload);
            }
        }
    }

    @Test
    void theUdpEchoTakesTheTcpPortNumberSoOneServerAddressServesBoth() {
        assertThat(backend.udpAddress().getPort()).isEqualTo(backend.tcpAddress().getPort());
    }

    @Test
    void severalLoopsShareOnePort() throws IOException {
        final InetSocketAddress address = backend.tcpAddress();
        for (int i = 0; i < 8; i++) {
            try (SocketChannel channel = SocketChannel.open(address)) {
                channel.write(ByteBuffer.wrap(new byte[] {Backend.ECHO, (byte) i}));
                final ByteBuffer in = ByteBuffer.allocate(1);
                channel.read(in);
                assertThat(in.get(0)).isEqualTo((byte) i);
            }
        }
    }
}
