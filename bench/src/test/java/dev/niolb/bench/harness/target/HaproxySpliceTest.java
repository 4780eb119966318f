package dev.niolb.bench.harness.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.niolb.bench.harness.backend.Backend;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code haproxy-splice} peer for real: HAProxy started by {@link Launchers} in front of the harness's backend,
 * a bulk echo through it, and its descriptors read from {@code /proc/PID/fd}. HAProxy takes a pipe from its pool
 * (one {@code pipe2}) the first time it splices and keeps it there after the stream ends, so a pipe that was not
 * there before the transfer is the trace of {@code splice(2)}; plain HAProxy, the control, opens none.
 */
@Timeout(60)
class HaproxySpliceTest {

    private static final int MAXCONN = 1000;
    /** Enough for HAProxy's splice-auto heuristics to see a stream fill its buffers again and again. */
    private static final int BULK = 32 * 1024 * 1024;

    @TempDir
    Path dir;

    private Path haproxy;
    private Backend backend;
    private RunningTarget running;

    @BeforeEach
    void start() throws IOException {
        haproxy = Executables.find("haproxy").orElse(null);
        assumeTrue(haproxy != null, "haproxy is not installed (apt-get install haproxy)");
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "no /proc to read a process's descriptors from");
        backend = Backend.start(InetAddress.getLoopbackAddress(), 0, 0, 1);
    }

    @AfterEach
    void stop() {
        if (running != null) {
            running.process().close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void haproxySpliceJoinsTheComparisonAsAPeerWithItsOwnConfig() throws IOException {
        running = Launchers.haproxySplice(haproxy, dir, 1, backend.tcpAddress(), MAXCONN, HaproxyConfig.MIN_SPLICE_PIPES);
        assertThat(running.target().name()).isEqualTo("haproxy-splice");
        assertThat(running.target().role()).isEqualTo(Target.Role.PEER);
        assertThat(running.target().pid()).isEqualTo(running.process().pid());
        assertThat(Files.readString(dir.resolve("haproxy-splice.cfg"))).contains("option splice-auto");
        assertThat(dir.resolve("haproxy.cfg")).doesNotExist();
    }

    @Test
    void aBulkEchoThroughHaproxySpliceArrivesIntactAndLeavesAKernelPipeBehind() throws Exception {
        running = Launchers.haproxySplice(haproxy, dir, 1, backend.tcpAddress(), MAXCONN, HaproxyConfig.MIN_SPLICE_PIPES);
        final long before = pipes(running.process().pid());
        echoBulk(running.target());
        assertThat(pipes(running.process().pid())).as("pipes of haproxy-splice after a bulk echo").isGreaterThan(before);
    }

    @Test
    void aBulkEchoThroughPlainHaproxyArrivesIntactWithNoNewPipe() throws Exception {
        running = Launchers.haproxy(haproxy, dir, 1, backend.tcpAddress(), MAXCONN);
        final long before = pipes(running.process().pid());
        echoBulk(running.target());
        assertThat(pipes(running.process().pid())).as("pipes of plain haproxy after a bulk echo").isEqualTo(before);
    }

    /** Sends {@link #BULK} random bytes to the backend's echo through {@code target} and checks they come back. */
    private static void echoBulk(final Target target) throws Exception {
        final byte[] sent = new byte[BULK];
        new Random(13).nextBytes(sent);
        try (SocketChannel channel = SocketChannel.open(target.tcp())) {
            channel.write(ByteBuffer.wrap(new byte[] {Backend.ECHO}));
            // write from another thread: the echo fills the socket buffers both ways long before the end
            final CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    final ByteBuffer out = ByteBuffer.wrap(sent);
                    while (out.hasRemaining()) {
                        channel.write(out);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            final ByteBuffer in = ByteBuffer.allocate(sent.length);
            while (in.hasRemaining()) {
                assertThat(channel.read(in)).as("end of stream after %d bytes", in.position()).isNotNegative();
            }
            writer.get();
            assertThat(in.array()).isEqualTo(sent);
        }
    }

    /** The pipes among a process's open descriptors. */
    private static long pipes(final long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.map(HaproxySpliceTest::target).filter(link -> link.startsWith("pipe:")).count();
        }
    }

    private static String target(final Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString();
        } catch (IOException closedMeanwhile) {
            return "";
        }
    }
}
