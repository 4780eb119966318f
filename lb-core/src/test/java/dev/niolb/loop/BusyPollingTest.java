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
import java.io.InputStream;
import java.io.OutputStream;
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
        try (Socket s = new Socket()) {
            s.connect(lb.localAddress("front"), 5000);
            s.setSoTimeout(10_000);
            s.setTcpNoDelay(true);
            final OutputStream out = s.getOutputStream();
            final InputStream in = s.getInputStream();
            for (int i = 0; i < ROUND_TRIPS; i++) {
                out.write(i);
                assertThat(in.read()).isEqualTo(i & 0xff);
            }
        }
    }

    private static long found(final LoadBalancer lb) {
        return lb.loops().getFirst().heartbeat().busyPollFound();
    }

    @Test
    void aBusyPollingLoopFindsTheNextMessagesOfAnExchangeWithoutSleeping() throws Exception {
        final LoadBalancer lb = start(LONG);
        pingPong(lb);
        // each round trip brings the loop a request and a reply, each within microseconds of its last event:
        // about two finds per round trip; a loop that slept every time would find none
        assertThat(found(lb)).isGreaterThanOrEqualTo(ROUND_TRIPS);
    }

    @Test
    void aLoopWithoutBusyPollingSleepsAsSoonAsNothingIsReady() throws Exception {
        final LoadBalancer lb = start(BusyPoll.OFF);
        pingPong(lb);
        assertThat(found(lb)).isZero();
    }

    @Test
    void aBusyPollingLoopGoesBackToSleepOnceItsWindowPassesWithNothingReady() throws Exception {
        final LoadBalancer lb = start(new BusyPoll(Duration.ofMillis(20)));
        pingPong(lb);
        final LoopHeartbeat heartbeat = lb.loops().getFirst().heartbeat();
        Await.until(() -> lb.activeSessions() == 0, 10_000);
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
        pingPong(lb);
        Await.until(() -> lb.activeSessions() == 0, 10_000); // the close's events are found too
        final long whileOn = found(lb);
        assertThat(whileOn).isGreaterThanOrEqualTo(ROUND_TRIPS);

        reload(lb, BusyPoll.OFF);
        pingPong(lb);
        Await.until(() -> lb.activeSessions() == 0, 10_000);
        assertThat(found(lb)).isEqualTo(whileOn);
    }

    /** A reload to {@code busyPoll}, once the loop has taken it: its command runs before one queued after it. */
    private void reload(final LoadBalancer lb, final BusyPoll busyPoll) throws Exception {
        lb.reload(rig.withTransport(lb.config().withBusyPoll(busyPoll)));
        lb.loops().getFirst().submit(() -> true).get(10, TimeUnit.SECONDS);
    }
}
