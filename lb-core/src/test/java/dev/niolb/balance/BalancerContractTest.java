package dev.niolb.balance;

import com.sun.management.ThreadMXBean;
import dev.niolb.config.Algorithm;
import dev.niolb.config.ServerConfig;
import dev.niolb.backend.Server;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.SplittableRandom;

import static dev.niolb.balance.TestServers.countPicks;
import static dev.niolb.balance.TestServers.equal;
import static dev.niolb.balance.TestServers.excluding;
import static dev.niolb.balance.TestServers.withWeights;
import static org.assertj.core.api.Assertions.assertThat;

/** The rules of {@link Balancer#pick} that every algorithm keeps. */
class BalancerContractTest {

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aServerAtWeightZeroIsNeverPicked(final Algorithm algorithm) {
        final Server[] servers = withWeights(1, 0, 2, 1);
        final int[] counts = countPicks(Balancers.create(algorithm, servers, 1), 4, 2_000, 0);

        assertThat(counts[1]).isZero();
        assertThat(counts[0]).isPositive();
        assertThat(counts[2]).isPositive();
        assertThat(counts[3]).isPositive();
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aServerSetToWeightZeroAfterTheBalancerIsBuiltIsNoLongerPicked(final Algorithm algorithm) {
        final Server[] servers = equal(3);
        final Balancer balancer = Balancers.create(algorithm, servers, 1);
        servers[2].weight(0);

        assertThat(countPicks(balancer, 3, 2_000, 0)[2]).isZero();
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void excludedServersAreNeverPickedWhileOthersRemain(final Algorithm algorithm) {
        final Server[] servers = equal(4);
        final int[] counts = countPicks(Balancers.create(algorithm, servers, 1), 4, 2_000, excluding(0, 2));

        assertThat(counts[0]).isZero();
        assertThat(counts[2]).isZero();
        assertThat(counts[1]).isPositive();
        assertThat(counts[3]).isPositive();
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void theOnlyServerLeftIsFoundAmongManyExcluded(final Algorithm algorithm) {
        final Server[] servers = equal(64);
        final Balancer balancer = Balancers.create(algorithm, servers, 1);
        final long allBut37 = ~excluding(37);
        final SplittableRandom hashes = new SplittableRandom(3);

        for (int p = 0; p < 200; p++) {
            assertThat(balancer.pick(hashes.nextInt(), allBut37)).isSameAs(servers[37]);
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aTriedServerBeyondTheSixtyFourthIsNotPickedAgain(final Algorithm algorithm) {
        // its bit was 0: in a group of 65 or more, a retry went back to the server that had just failed
        final Server[] servers = equal(70);
        final int[] counts = countPicks(Balancers.create(algorithm, servers, 1), 70, 2_000, Balancer.bit(servers[66]));

        assertThat(counts[66]).as("the server tried").isZero();
        assertThat(counts[2]).as("the one sharing its bit (66 - 64) is passed over too").isZero();
        assertThat(counts[65] + counts[67]).as("the others stay pickable").isPositive();
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void pickGivesNullWhenEveryServerIsExcluded(final Algorithm algorithm) {
        final Balancer balancer = Balancers.create(algorithm, equal(3), 1);

        assertThat(balancer.pick(12345, excluding(0, 1, 2))).isNull();
        assertThat(balancer.pick(-9, -1L)).isNull();
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void pickGivesNullWhenEveryServerIsAtWeightZero(final Algorithm algorithm) {
        final Server[] servers = withWeights(1, 0, 2);
        final Balancer balancer = Balancers.create(algorithm, servers, 1);
        servers[0].weight(0);
        servers[2].weight(0);

        assertThat(balancer.pick(12345, 0)).isNull();
        assertThat(Balancers.create(algorithm, withWeights(0, 0), 1).pick(12345, 0)).isNull();
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aServerAtItsMaxconnIsPassedOverUntilASessionLeavesIt(final Algorithm algorithm) {
        final Server[] servers = withMaxconn(0, 2, 0);
        final Balancer balancer = Balancers.create(algorithm, servers, 1);
        assertThat(servers[1].reserve()).isEqualTo(Server.RESERVED);
        assertThat(servers[1].reserve()).isEqualTo(Server.RESERVED);
        assertThat(servers[1].reserve()).isEqualTo(Server.FULL);

        final int[] full = countPicks(balancer, 3, 2_000, 0);
        servers[1].unreserve();
        final int[] room = countPicks(balancer, 3, 2_000, 0);

        assertThat(full[1]).isZero();
        assertThat(full[0]).isPositive();
        assertThat(full[2]).isPositive();
        assertThat(room[1]).isPositive();
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void pickGivesNullWhenEveryServerIsAtItsMaxconn(final Algorithm algorithm) {
        final Server[] servers = withMaxconn(1, 1);
        final Balancer balancer = Balancers.create(algorithm, servers, 1);
        servers[0].reserve();
        servers[1].reserve();

        assertThat(balancer.pick(12345, 0)).isNull();
    }

    private static Server[] withMaxconn(final int... maxconn) {
        final Server[] servers = new Server[maxconn.length];
        for (int i = 0; i < servers.length; i++) {
            servers[i] = new Server(i, new ServerConfig("s" + i, new InetSocketAddress("127.0.0.1", 10000 + i), 1)
                .withMaxconn(maxconn[i]), 1);
        }
        return servers;
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void pickGivesNullForAGroupWithNoServers(final Algorithm algorithm) {
        assertThat(Balancers.create(algorithm, new Server[0], 1).pick(12345, 0)).isNull();
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void picksAllocateNothing(final Algorithm algorithm) {
        final Server[] servers = withWeights(1, 2, 3, 4, 1, 2, 3, 4);
        final Balancer balancer = Balancers.create(algorithm, servers, 1);
        final ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        final long excluded = excluding(1);
        int sink = pickMany(balancer, excluded, 1_000); // links classes and call sites before measuring

        final long before = threads.getCurrentThreadAllocatedBytes();
        sink += pickMany(balancer, excluded, 100_000);
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(sink).isNotZero();
        assertThat(allocated).as("bytes allocated by 100k picks").isLessThan(1_000);
    }

    private static int pickMany(final Balancer balancer, final long excluded, final int picks) {
        int sum = 0;
        for (int p = 0; p < picks; p++) {
            sum += balancer.pick(p * 0x9e3779b9, excluded).index() + 1;
        }
        return sum;
    }
}
