package dev.niolb.bench.harness.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.niolb.bench.harness.backend.Backend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Tiny runs of every load straight against the in-process backend: they finish and count what they did. */
@Timeout(30)
class LoadsAgainstDirectTest {

    private static Backend backend;

    @BeforeAll
    static void start() throws IOException {
        backend = Backend.start(InetAddress.getLoopbackAddress(), 0, 0, 1);
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    private static LoadWindow window(final long millis) {
        return LoadWindow.startingNow(Duration.ZERO, Duration.ofMillis(millis));
    }

    @Test
    void anRrRunCompletesExactlyItsCountOfRequests() {
        final RrClient rr = new RrClient(new RrClient.Settings(backend.tcpAddress(), 2, 64, 0, 500), window(20_000));
        rr.start();
        rr.awaitEnd();
        assertThat(rr.completed()).isEqualTo(1000);
        assertThat(rr.errors()).isZero();
        assertThat(rr.latency().getTotalCount()).isEqualTo(1000);
        assertThat(rr.serviceTime().getTotalCount()).isEqualTo(1000);
    }

    @Test
    void aFixedRateRrRunCompletesItsCountOnSchedule() {
        final RrClient rr = new RrClient(new RrClient.Settings(backend.tcpAddress(), 1, 16, 2_000, 100), window(20_000));
        rr.start();
        rr.awaitEnd();
        assertThat(rr.completed()).isEqualTo(100);
        assertThat(rr.errors()).isZero();
    }

    @Test
    void anRrRunAgainstAClosedPortCountsErrorsRetriesAndEnds() throws IOException {
        final InetSocketAddress closed;
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            closed = (InetSocketAddress) server.getLocalAddress();
        }
        final RrClient rr = new RrClient(new RrClient.Settings(closed, 2, 64, 0, 10), window(300));
        rr.start();
        rr.awaitEnd();
        assertThat(rr.completed()).isZero();
        // each connection retries every 10 ms until the window ends
        assertThat(rr.errors()).isGreaterThan(2);
        assertThat(rr.firstError()).startsWith("ConnectException");
    }

    @Test
    void aConnrateRunOpensAndClosesConnectionsUntilItsWindowEnds() {
        final ConnRateClient connrate = new ConnRateClient(backend.tcpAddress(), 2, 32, window(300));
        connrate.start();
        connrate.awaitEnd();
        assertThat(connrate.completed()).isPositive();
        assertThat(connrate.errors()).isZero();
        assertThat(connrate.latency().getTotalCount()).isPositive().isLessThanOrEqualTo(connrate.completed());
    }

    @Test
    void throughputRunsMoveBytesEachWay() {
        for (ThroughputClient.Direction direction : ThroughputClient.Direction.values()) {
            final ThroughputClient bulk = new ThroughputClient(backend.tcpAddress(), direction, 1, 64 * 1024, window(200));
            bulk.start();
            bulk.awaitEnd();
            assertThat(bulk.completed()).as(direction.name()).isGreaterThan(1024 * 1024);
            assertThat(bulk.errors()).as(direction.name()).isZero();
        }
    }

    @Test
    void aUdpRunGetsItsDatagramsBack() {
        final UdpClient udp = new UdpClient(backend.udpAddress(), 2, 64, 200, window(300));
        udp.start();
        udp.awaitEnd();
        assertThat(udp.completed()).isPositive();
        assertThat(udp.latency().getTotalCount()).isPositive();
    }

    @Test
    void everyIdleConnectionAnswersAfterTheHold() throws IOException {
        try (IdleConnections idle = new IdleConnections(backend.tcpAddress())) {
            assertThat(idle.open(500, System.nanoTime() + Duration.ofSeconds(20).toNanos())).isEqualTo(500);
            assertThat(idle.ping((byte) 'x', Duration.ofSeconds(10))).isEqualTo(500);
            assertThat(idle.ping((byte) 'y', Duration.ofSeconds(10))).isEqualTo(500);
        }
    }
}
