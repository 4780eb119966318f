package dev.niolb.bench;

import dev.niolb.balance.Balancer;
import dev.niolb.balance.Balancers;
import dev.niolb.balance.ClientHash;
import dev.niolb.config.Algorithm;
import dev.niolb.config.ServerConfig;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The cost of one {@link Balancer#pick} for every algorithm, over 8 servers of mixed weights and loads.
 *
 * <p>Threading: JMH runs one thread per state ({@link Scope#Thread}), as one event loop owns one balancer.
 *
 * <p>{@code pick} is the first try of a session; {@code pickRetry} excludes the server at index 3 (the
 * heaviest), as a retry after a failed connect does, which sends Maglev's clients of that server down the
 * table walk. Run with {@code -prof gc}: {@code gc.alloc.rate.norm} should be about 0 B/op for every algorithm.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BalancerPickBenchmark {
    private static final int[] WEIGHTS = {3, 1, 2, 5, 1, 4, 2, 1};
    private static final int[] ACTIVE = {12, 3, 7, 20, 0, 15, 5, 2};
    private static final int LOOPS = 2;

    @Param({"roundrobin", "weighted", "leastconn", "source", "random"})
    public String algorithm;

    private Balancer balancer;
    private long retryExcluded;
    private int client;

    @Setup
    public void setUp() {
        final Server[] servers = new Server[WEIGHTS.length];
        for (int i = 0; i < servers.length; i++) {
            servers[i] = new Server(i, new ServerConfig("s" + i, new InetSocketAddress("127.0.0.1", 10000 + i),
                WEIGHTS[i]), LOOPS);
            // split over both stripes so active() sums two, as with two event loops
            servers[i].counters().add(0, ServerCounters.ACTIVE, ACTIVE[i] / 2);
            servers[i].counters().add(1, ServerCounters.ACTIVE, ACTIVE[i] - ACTIVE[i] / 2);
        }
        balancer = Balancers.create(Algorithm.parse(algorithm), servers, 42);
        retryExcluded = Balancer.bit(servers[3]);
    }

    @Benchmark
    public Server pick() {
        return balancer.pick(nextClient(), 0L);
    }

    @Benchmark
    public Server pickRetry() {
        return balancer.pick(nextClient(), retryExcluded);
    }

    /** A new well-mixed client hash per call, as from many distinct client addresses. */
    private int nextClient() {
        return ClientHash.mix(client++);
    }
}
