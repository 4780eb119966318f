package dev.niolb.faults;

import dev.niolb.LoadBalancer;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.session.Termination;
import dev.niolb.backend.Server;
import dev.niolb.tcp.ListenerCounters;
import dev.niolb.testing.Await;
import dev.niolb.testing.BulkEcho;
import dev.niolb.testing.DirectMemory;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.FaultyServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * niolb with two listeners on the same event loop(s): {@code front} in front of the servers a test makes
 * misbehave, and {@code healthy} in front of a well-behaved echo server. A healthy bulk session through
 * {@code healthy} runs while the fault does its worst on {@code front}; it shares the loop, the buffer pool and
 * the CPU with the faulty sessions, so it shows what the fault costs everyone else. A baseline of the same
 * session alone, measured in the same test, makes the comparison fair on a busy machine. The test's
 * {@link EngineRig} starts niolb on the transport under test, and after the test stops it, the servers and the
 * client threads.
 */
final class FaultRig {
    /** Relay buffers of 16 KiB: small, so that a buffer too many shows in the direct memory. */
    static final int BUFFER = 16 * 1024;
    /** A healthy session must keep at least this share of its baseline rate: generous, for a shared 2-core box. */
    static final double KEEPS_THROUGHPUT = 0.30;
    /** Free buffers an event loop keeps pooled ({@code EventLoop.MAX_POOLED_BUFFERS}). */
    private static final int POOLED_PER_LOOP = 256;
    private static final long DIRECT_SLACK = 2L << 20;

    /** For the faulty clients: thousands of them at times. */
    final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    /** The healthy listener's sessions: niolb's defaults (socket buffers autotuned), small relay buffers. */
    private static final TcpOptions HEALTHY = TcpOptions.DEFAULTS.withBufferSize(BUFFER);

    /** For the measured healthy session: platform threads, so that it never waits behind the faulty clients. */
    private final ExecutorService measured = Executors.newCachedThreadPool(
        Thread.ofPlatform().name("healthy-session").daemon().factory());
    private final EngineRig engine;
    private final FaultyServer healthyBackend;
    private LoadBalancer lb;
    private int threads;
    private BulkEcho.Result baseline;
    private long directBaseline;
    private long healthyBytesAtStart;

    FaultRig(final EngineRig engine) throws IOException {
        this.engine = engine;
        engine.track(measured::shutdownNow);
        engine.track(pool::shutdownNow);
        healthyBackend = track(new FaultyServer(FaultyServer.echo(),
            Thread.ofPlatform().name("healthy-echo").daemon().factory()));
    }

    <T extends AutoCloseable> T track(final T resource) {
        return engine.track(resource);
    }

    /** Starts niolb: {@code front} balances over {@code servers} round robin with {@code front}'s options. */
    LoadBalancer start(final TcpOptions frontOptions, final int loops, final InetSocketAddress... servers)
        throws IOException {
        return start(frontOptions, AcceptProxy.DISABLED, loops, servers);
    }

    /** As above, with {@code front} reading a PROXY protocol header as {@code acceptProxy} says. */
    LoadBalancer start(final TcpOptions frontOptions, final AcceptProxy acceptProxy, final int loops,
                       final InetSocketAddress... servers) throws IOException {
        final List<ServerConfig> configs = new ArrayList<>();
        for (int i = 0; i < servers.length; i++) {
            configs.add(new ServerConfig("s" + i, servers[i], 1));
        }
        final InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        final Config config = new Config(loops, Duration.ZERO,
            List.of(new ListenerConfig("front", Protocol.TCP, any, "faulty", frontOptions.withBufferSize(BUFFER))
                    .withAcceptProxy(acceptProxy),
                new ListenerConfig("healthy", Protocol.TCP, any, "good", HEALTHY)),
            List.of(new TargetGroupConfig("faulty", Algorithm.ROUNDROBIN, configs),
                new TargetGroupConfig("good", Algorithm.ROUNDROBIN,
                    List.of(new ServerConfig("echo", healthyBackend.address(), 1)))));
        threads = loops;
        lb = engine.start(config);
        return lb;
    }

    LoadBalancer lb() {
        return lb;
    }

    InetSocketAddress front() {
        return lb.localAddress("front");
    }

    ListenerCounters counters() {
        return lb.listener("front").counters();
    }

    long terminated(final Termination how) {
        return counters().terminated(how);
    }

    Server server(final int index) {
        return lb.group("faulty").snapshot().servers()[index];
    }

    /**
     * The healthy session alone: a short unmeasured run (JIT, pool), then a measured one; then the direct
     * memory with niolb warm and idle, the level it must come back to.
     */
    void measureBaseline() throws Exception {
        BulkEcho.run(lb.localAddress("healthy"), Duration.ofMillis(200));
        baseline = BulkEcho.run(lb.localAddress("healthy"), Duration.ofMillis(600));
        assertThat(baseline.intact()).as("baseline %s", baseline).isTrue();
        awaitQuiet();
        directBaseline = DirectMemory.usedAfterGc();
    }

    /** The healthy session, started now on a virtual thread. */
    Future<BulkEcho.Result> healthyStream(final Duration duration) {
        healthyBytesAtStart = healthyServer().counters().bytesToServer();
        return BulkEcho.start(measured, lb.localAddress("healthy"), duration, Duration.ZERO);
    }

    /**
     * Waits until the healthy session {@link #healthyStream} started has moved a MiB through niolb: from then on
     * what a test samples (buffers in use, open sessions) is sampled with the stream in flight.
     */
    void awaitHealthyStreamFlowing() throws Exception {
        Await.until(() -> healthyServer().counters().bytesToServer() - healthyBytesAtStart >= 1 << 20, 5000);
    }

    private Server healthyServer() {
        return lb.group("good").snapshot().servers()[0];
    }

    /** The healthy session came back whole, at {@link #KEEPS_THROUGHPUT} of its baseline rate or better. */
    void assertKeptItsThroughput(final BulkEcho.Result during) throws Exception {
        assertKeptItsThroughput(during, KEEPS_THROUGHPUT);
    }

    /**
     * The healthy session came back whole, at {@code share} of its baseline rate or better. Other work on the
     * machine moves the rate too (other builds share these two cores), so when the session fell short of the
     * first baseline, the baseline is measured again once every faulty session has ended, and the lower of the
     * two counts: a fault that slowed the healthy session still fails, a machine that got busier does not.
     */
    void assertKeptItsThroughput(final BulkEcho.Result during, final double share) throws Exception {
        assertThat(during.intact()).as("healthy session during the fault: %s", during).isTrue();
        BulkEcho.Result reference = baseline;
        if (during.bytesPerSecond() < share * baseline.bytesPerSecond()) {
            awaitQuiet();
            final BulkEcho.Result again = BulkEcho.run(lb.localAddress("healthy"), Duration.ofMillis(600));
            System.out.printf("healthy session: below %.0f%% of the baseline %s; measured again: %s%n", 100 * share,
                baseline, again);
            if (again.bytesPerSecond() < reference.bytesPerSecond()) {
                reference = again;
            }
        }
        System.out.printf("healthy session: baseline %s; during the fault %s (%.0f%%)%n", reference, during,
            100 * during.bytesPerSecond() / reference.bytesPerSecond());
        assertThat(during.bytesPerSecond()).as("healthy session's rate during the fault vs baseline %s", reference)
            .isGreaterThanOrEqualTo(share * reference.bytesPerSecond());
    }

    /** Every session has ended and given its buffers and pipes back. */
    void awaitQuiet() throws Exception {
        Await.until(() -> lb.activeSessions() == 0, 10_000);
        Await.until(() -> held() == 0, 5_000);
    }

    /**
     * What sessions hold to relay with now: pooled buffers, and on a splicing transport kernel pipes (a direction
     * holds one or the other, never both at once, while bytes wait for their destination).
     */
    int held() {
        return lb.buffersInUse() + lb.pipesInUse();
    }

    /**
     * Memory came back: no session holds a buffer, and direct memory is at its baseline plus at most what the
     * loops may keep pooled (free buffers kept for reuse, bounded by design) and a little slack for the JDK's
     * own temporary buffers. A relay that buffered without bound would be far above that.
     */
    void assertMemoryReturned() throws Exception {
        awaitQuiet();
        final long direct = DirectMemory.usedAfterGc();
        final long bound = directBaseline + (long) threads * POOLED_PER_LOOP * BUFFER + DIRECT_SLACK;
        System.out.printf("direct memory: baseline %d KiB, after %d KiB (bound %d KiB)%n", directBaseline >> 10,
            direct >> 10, bound >> 10);
        assertThat(direct).as("direct memory after the fault (baseline %d)", directBaseline).isLessThanOrEqualTo(bound);
    }
}
