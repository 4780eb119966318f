package dev.niolb.health;

import dev.niolb.backend.Server;
import dev.niolb.backend.ServerCounters;
import dev.niolb.backend.ServerState;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TransportChoice;
import dev.niolb.loop.EventLoop;
import dev.niolb.transport.Transports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;

/** The paced drain's arithmetic, its steps called by hand at the times a loaded timer would call them. */
class PacedDrainTest {
    private final EventLoop loop;
    private int closed;

    PacedDrainTest() throws IOException {
        loop = new EventLoop(0, Transports.of(TransportChoice.NIO)); // never started: its clock stays at its start
    }

    @AfterEach
    void stopLoop() {
        loop.stop();
    }

    @Test
    void stepsThatComeLateCloseByTheTimeThatPassedNotByTheirNumber() {
        final Server server = drainingWithSessions();
        final PacedDrain drain = new PacedDrain(loop, (s, count, why) -> closed += count, 0, 10);
        drain.add(server);

        final long start = loop.nowMs();
        for (long t = start; t <= start + 5_928; t += 104) { // 58 steps, each a timer tick late (104 ms, not 100)
            drain.onTimeout(t);
        }
        // the first at the start, then ten a second for 5.928 s: 60 in all (counting 100 ms a step made 58)
        assertThat(closed).isEqualTo(60);
    }

    @Test
    void aStepAfterTheLoopWasHeldUpClosesAStepsWorthNotABurst() {
        final Server server = drainingWithSessions();
        final PacedDrain drain = new PacedDrain(loop, (s, count, why) -> closed += count, 0, 10);
        drain.add(server);
        final long start = loop.nowMs();
        drain.onTimeout(start); // the first, at the timeout

        drain.onTimeout(start + 2_000); // the health loop held up for two seconds

        // a step and a quarter's worth at 10/s: 1.25, so one; by the time that passed it was twenty at once
        assertThat(closed).isEqualTo(2);
    }

    @Test
    void aDrainThatReplacesAnotherCountsItsTimeoutFromWhenTheDrainBegan() {
        final Server server = drainingWithSessions();
        final long start = loop.nowMs();
        final PacedDrain before = new PacedDrain(loop, (s, count, why) -> closed += count, 3000, 5);
        before.add(server);
        before.stop();

        // a reload 4 s into the drain raises the rate: the same 3 s timeout ran out a second ago
        final PacedDrain after = new PacedDrain(loop, (s, count, why) -> closed += count, 3000, 10);
        after.add(server, before.startedAt().get(server));
        after.onTimeout(start + 4000);

        assertThat(closed).as("closing at once, not after another 3 s").isEqualTo(1);
    }

    /** A server in DRAIN with a thousand sessions. */
    private static Server drainingWithSessions() {
        final Server server = new Server(0, new ServerConfig("s", new InetSocketAddress("127.0.0.1", 10000), 1), 1);
        server.counters().add(0, ServerCounters.ACTIVE, 1000);
        server.operatorMode(ServerState.DRAIN, "test");
        return server;
    }
}
