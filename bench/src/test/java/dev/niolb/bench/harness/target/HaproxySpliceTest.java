package dev.niolb.bench.harness.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.niolb.bench.harness.backend.Backend;
import dev.niolb.bench.harness.load.LoadWindow;
import dev.niolb.bench.harness.load.ThroughputClient;
import dev.niolb.bench.harness.load.ThroughputClient.Direction;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The {@code haproxy-splice} peer for real: HAProxy started by {@link Launchers} in front of the harness's backend,
 * the harness's own bulk load through it, and its descriptors read from {@code /proc/PID/fd} while the load runs.
 * HAProxy takes a pipe (one {@code pipe2}) when it splices, so a pipe that plain HAProxy, started and loaded alike,
 * does not hold is the trace of {@code splice(2)}. Not a count before and after the load: the forced options splice
 * even the start-up probe's empty connection, which leaves a pipe in the pool before the load, and a pipe still
 * holding data when a stream is cut (the download's end) is closed, not pooled. With {@code option splice-auto}
 * instead, these load cases fail: HAProxy's heuristics did not splice this load. That the bytes themselves moved
 * by splice, not recv/send, {@code strace -c} showed once by hand; a test cannot count another process's system
 * calls without ptrace rights.
 */
@Timeout(60)
class HaproxySpliceTest {

    private static final int MAXCONN = 1000;
    /** Bytes of the echo, well beyond the socket buffers both ways. */
    private static final int BULK = 32 * 1024 * 1024;
    /** Bytes a bulk load must have moved to count as one: far more than HAProxy's 16 KiB buffer, many times over. */
    private static final long BULK_AT_LEAST = 16L * 1024 * 1024;

    @TempDir
    Path dir;

    private Path haproxy;
    private Backend backend;
    private final List<ManagedProcess> started = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        haproxy = Executables.find("haproxy").orElse(null);
        assumeTrue(haproxy != null, "haproxy is not installed (apt-get install haproxy)");
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "no /proc to read a process's descriptors from");
        backend = Backend.start(InetAddress.getLoopbackAddress(), 0, 0, 1);
    }

    @AfterEach
    void stop() {
        started.forEach(ManagedProcess::close);
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void haproxySpliceJoinsTheComparisonAsAPeerWithItsOwnConfig() throws IOException {
        final RunningTarget running = keep(Launchers.haproxySplice(haproxy, dir, 1, backend.tcpAddress(), MAXCONN,
            HaproxyConfig.MIN_SPLICE_PIPES));
        assertThat(running.target().name()).isEqualTo("haproxy-splice");
        assertThat(running.target().role()).isEqualTo(Target.Role.PEER);
        assertThat(running.target().pid()).isEqualTo(running.process().pid());
        assertThat(Files.readString(dir.resolve("haproxy-splice.cfg"))).contains("option splice-request");
        assertThat(dir.resolve("haproxy.cfg")).doesNotExist();
    }

    @ParameterizedTest(name = "bulk {0}")
    @EnumSource(value = Direction.class, names = {"UP", "DOWN"})
    void duringTheHarnesssBulkLoadHaproxySpliceHoldsAKernelPipeThatPlainHaproxyDoesNot(final Direction direction)
        throws Exception {
        final RunningTarget plain = keep(Launchers.haproxy(haproxy, dir.resolve("plain"), 1, backend.tcpAddress(), MAXCONN));
        final RunningTarget splice = keep(Launchers.haproxySplice(haproxy, dir.resolve("splice"), 1, backend.tcpAddress(),
            MAXCONN, HaproxyConfig.MIN_SPLICE_PIPES));
        final long plainPipes = mostPipesDuring(plain, direction, Long.MAX_VALUE);
        assertThat(mostPipesDuring(splice, direction, plainPipes)).as("pipes of haproxy-splice during the load against"
            + " plain haproxy's, both started and loaded alike").isGreaterThan(plainPipes);
    }

    @Test
    void aBulkEchoThroughHaproxySpliceComesBackIntact() throws Exception {
        final RunningTarget running = keep(Launchers.haproxySplice(haproxy, dir, 1, backend.tcpAddress(), MAXCONN,
            HaproxyConfig.MIN_SPLICE_PIPES));
        echoBulk(running.target());
    }

    private RunningTarget keep(final RunningTarget running) {
        started.add(running.process());
        return running;
    }

    /**
     * Runs the harness's own bulk load (one connection of 128 KiB writes or reads, for a short window) through
     * {@code running} and returns the most pipes its process held meanwhile, reading {@code /proc} until the load
     * ends or the count passes {@code enough}.
     */
    private static long mostPipesDuring(final RunningTarget running, final Direction direction, final long enough)
        throws IOException {
        final ThroughputClient load = new ThroughputClient(running.target().tcp(), direction, 1, 128 * 1024,
            LoadWindow.startingNow(Duration.ofMillis(200), Duration.ofMillis(500)));
        load.start();
        long most = 0;
        while (System.nanoTime() < load.window().measureEnd() && most <= enough) {
            most = Math.max(most, pipes(running.process().pid()));
            LockSupport.parkNanos(1_000_000L); // a poll interval: /proc is read a few hundred times, not in a spin
        }
        load.awaitEnd();
        assertThat(load.firstError()).as("the bulk load's first error").isNull();
        assertThat(load.completed()).as("bytes moved").isGreaterThan(BULK_AT_LEAST);
        return Math.max(most, pipes(running.process().pid()));
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
