package dev.niolb.loop;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.BusyPoll;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.Await;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code busy-poll}: a relay loop that polls on without sleeping for a while after its last event, end to end
 * through a TCP echo, on each transport. What it saves shows as {@link LoopHeartbeat#busyPollFound()}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EveryTransport
class BusyPollingTest {
    /** Far longer than the gap between two messages of an exchange, even on a loaded machine. */
    private static final BusyPoll LONG = new BusyPoll(BusyPoll.MAX);
    private static final int ROUND_TRIPS = 200;
    private static final int EXCHANGES = 20;

    @RegisterExtension
    final EngineRig rig;

    BusyPollingTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    private LoadBalancer start(final BusyPoll busyPoll) throws IOException {
        final EchoServer echo = rig.track(new EchoServer());
        final Config config = Config.single(1, Duration.ofSeconds(5),
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", echo.address(), 1))))
            .withBusyPoll(busyPoll);
        return rig.start(config);
    }

    /** Ping-pong of one byte {@code ROUND_TRIPS} times over one connection, then closes it. */
    private static void pingPong(final LoadBalancer lb) throws IOException {
        try (Socket s = connect(lb)) {
            for (int i = 0; i < ROUND_TRIPS; i++) {
                s.getOutputStream().write(i);
                assertThat(s.getInputStream().read()).isEqualTo(i & 0xff);
            }
        }
    }

    /**
     * {@code EXCHANGES} round trips over one connection, each request sent only once the loop has polled and found
     * nothing a few times since the last reply: it arrives while the loop spins, or, without busy polling, while it
     * sleeps. Then closes the connection.
     */
    private static void pacedExchanges(final LoadBalancer lb) throws Exception {
        final LoopHeartbeat heartbeat = lb.loops().getFirst().heartbeat();
        try (Socket s = connect(lb)) {
            for (int i = 0; i < EXCHANGES; i++) {
                final long before = heartbeat.iterations();
                // spinning, three empty polls take microseconds; a test thread held up past the window finds the
                // loop asleep, where no iteration comes, and sends anyway after twice the window: a miss, which
                // the callers' bound allows for
                final long giveUp = System.nanoTime() + 2 * LONG.window().toNanos();
                while (heartbeat.iterations() - before < 3 && System.nanoTime() < giveUp) {
                    Thread.onSpinWait();
                }
                s.getOutputStream().write(i);
                assertThat(s.getInputStream().read()).isEqualTo(i);
            }
        }
    }

    private static Socket connect(final LoadBalancer lb) throws IOException {
        final Socket s = new Socket();
        s.connect(lb.localAddress("front"), 5000);
        s.setSoTimeout(10_000);
        s.setTcpNoDelay(true);
        return s;
    }

    private static long found(final LoadBalancer lb) {
        return lb.loops().getFirst().heartbeat().busyPollFound();
    }

    @Test
    void aMessageArrivingWhileTheLoopSpinsIsFoundWithoutAWakeUp() throws Exception {
        final LoadBalancer lb = start(LONG);
        pacedExchanges(lb);
        settle(lb);
        // every request arrives after empty polls of a spin (the echo's reply may be counted too); one misses only
        // when the test's thread is held up for the whole window between seeing the spin and sending
        assertThat(found(lb)).isGreaterThanOrEqualTo(EXCHANGES / 2);
    }

    @Test
    void aLoopWithoutBusyPollingSleepsAsSoonAsNothingIsReady() throws Exception {
        final LoadBalancer lb = start(BusyPoll.OFF);
        final LoopHeartbeat heartbeat = lb.loops().getFirst().heartbeat();
        final long before = heartbeat.iterations();
        pingPong(lb);
        settle(lb);
        // asleep between messages, an iteration is an event, a command or a timer coming due: a few per round
        // trip, where spinning would make thousands a millisecond
        assertThat(heartbeat.iterations() - before).isLessThan(20L * ROUND_TRIPS);
        assertThat(found(lb)).isZero();
    }

    @Test
    void aBusyPollingLoopGoesBackToSleepOnceItsWindowPassesWithNothingReady() throws Exception {
        final LoadBalancer lb = start(new BusyPoll(Duration.ofMillis(20)));
        pingPong(lb);
        final LoopHeartbeat heartbeat = lb.loops().getFirst().heartbeat();
        settle(lb);
        // the session is gone and with it its timers: a loop asleep in its poll completes no iteration, while one
        // still spinning completes thousands a millisecond
        Await.until(() -> {
            final long before = heartbeat.iterations();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            return heartbeat.iterations() == before;
        }, 10_000);
    }

    @Test
    void aReloadTurnsBusyPollingOnAndOffAgain() throws Exception {
        final LoadBalancer lb = start(BusyPoll.OFF);
        reload(lb, LONG);
        pacedExchanges(lb);
        settle(lb);
        final long whileOn = found(lb);
        assertThat(whileOn).isGreaterThanOrEqualTo(EXCHANGES / 2);

        reload(lb, BusyPoll.OFF);
        pingPong(lb);
        settle(lb);
        assertThat(found(lb)).isEqualTo(whileOn);
    }

    @Test
    void turningBusyPollingOnStartsNoSpinUntilASocketIsReadyAgain() throws Exception {
        final LoadBalancer lb = start(BusyPoll.OFF);
        pingPong(lb); // events handled while busy polling was off must not count as the last one found
        settle(lb);
        final LoopHeartbeat heartbeat = lb.loops().getFirst().heartbeat();
        reload(lb, LONG);
        final long before = heartbeat.iterations();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(150)); // longer than the window: a spin would show
        // asleep, the loop completes no iteration here; spinning, it would complete thousands
        assertThat(heartbeat.iterations() - before).isLessThan(10);
    }

    /**
     * Once the session is gone and the loop iteration that closed it is over (a command queued now runs after it):
     * every event of the exchange has been counted.
     */
    private static void settle(final LoadBalancer lb) throws Exception {
        Await.until(() -> lb.activeSessions() == 0, 10_000);
        lb.loops().getFirst().submit(() -> true).get(10, TimeUnit.SECONDS);
    }

    /** A reload to {@code busyPoll}, once the loop has taken it: its command runs before one queued after it. */
    private void reload(final LoadBalancer lb, final BusyPoll busyPoll) throws Exception {
        lb.reload(rig.withTransport(lb.config().withBusyPoll(busyPoll)));
        lb.loops().getFirst().submit(() -> true).get(10, TimeUnit.SECONDS);
    }
}
