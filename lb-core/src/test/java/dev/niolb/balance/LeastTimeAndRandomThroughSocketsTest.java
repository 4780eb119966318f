package dev.niolb.balance;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.Await;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.FullBacklogServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@code leasttime} and {@code random} prefer, through real sockets: one event loop, real servers on loopback,
 * clients that open sessions one after another. The bounds come from the scores the algorithms compare
 * ({@link PowerOfTwoChoices}), not from runs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EveryTransport
class LeastTimeAndRandomThroughSocketsTest {
    @RegisterExtension
    final EngineRig rig;
    private LoadBalancer lb;

    LeastTimeAndRandomThroughSocketsTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    private void start(final Algorithm balance, final ServerConfig... servers) throws IOException {
        // one loop: one balancer, one connect-time average per server; a connect timeout well past two SYN retries
        final TcpOptions tcp = new TcpOptions(Duration.ofSeconds(10), Duration.ofMinutes(1), 0, true, false, 1024,
            16 * 1024);
        lb = rig.start(Config.single(1, Duration.ZERO,
            new ListenerConfig(new InetSocketAddress("127.0.0.1", 0), "g", tcp),
            new TargetGroupConfig("g", balance, List.of(servers))));
    }

    private Server server(final String name) {
        return lb.server("g", name);
    }

    /** A session open through niolb, its server's greeting read. */
    private Socket open() throws IOException {
        final Socket s = rig.track(new Socket());
        s.connect(lb.localAddresses().getFirst(), 2000);
        s.setSoTimeout(15_000);
        return s;
    }

    /** One short session: the greeting of the server that took it. */
    private String session() throws IOException {
        try (Socket s = open()) {
            return greeting(s);
        }
    }

    private static String greeting(final Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
    }

    @Test
    void leasttimeSendsNewSessionsToTheFastServerOnceTheOtherIsSeenSlowToAccept() throws Exception {
        final EchoServer fast = rig.track(new EchoServer("fast"));
        final FullBacklogServer slow = rig.track(new FullBacklogServer("slow"));
        start(Algorithm.LEASTTIME, new ServerConfig("fast", fast.address(), 1),
            new ServerConfig("slow", slow.address(), 1));

        // Unmeasured, 'slow' counts as being as fast as 'fast', and a draw of the two is least connections: one of
        // the first few sessions goes to it, and its connect waits on its full accept queue.
        final CompletableFuture<Integer> sessionsUntilSlow = CompletableFuture.supplyAsync(() -> {
            try {
                int n = 1;
                while (!"slow".equals(session())) {
                    n++;
                }
                return n;
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Await.until(() -> server("slow").active() == 1, 5000);
        slow.acceptFromNowOn(); // the SYN retransmitted after 1 s now finds room
        assertThat(sessionsUntilSlow.get(15, TimeUnit.SECONDS)).as("an even draw: 20 misses in a row is 1 in 10^6")
            .isBetween(1, 20);
        assertThat(server("slow").connectNanosEwma()).as("its first connect time, the SYN's retransmission timeout")
            .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(900));
        Await.until(() -> server("slow").active() == 0, 5000);

        // 'fast' counts as measured from its second connect on a loop (ServerCounters.recordConnectNanos); until
        // then it is like the other server drawn, and a draw of the two is least connections, decided by the order
        // drawn (the test passed on the luck of fixed seeds while phase one gave 'fast' fewer than two connects)
        Await.until(() -> {
            session();
            return server("fast").connectFreshness(System.nanoTime()) > 0;
        }, 5000);
        Await.until(() -> server("slow").active() == 0, 5000);

        // Both idle now, so least connections would split them. But 'slow' scores at least 1 s x (0 + 1) and 'fast'
        // (its loopback connect EWMA + 1 ms) x (at most 1 + 1): 'fast' wins the draws of the two while 'slow''s
        // measurement is fresh. It ages (halved every quarter second), and a server measured slow is drawn again
        // within about three seconds to be measured afresh (README, leasttime): a try or two of it in these 100
        // is that rule, not a lost draw.
        final Map<String, Integer> served = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            served.merge(session(), 1, Integer::sum);
        }
        assertThat(served.getOrDefault("slow", 0)).as("tries of 'slow' in 100: %s", served).isLessThanOrEqualTo(2);
        assertThat(server("fast").connectNanosEwma()).as("what 'fast' must stay under for the bound above")
            .isLessThan(TimeUnit.MILLISECONDS.toNanos(500));
    }

    @Test
    void leasttimeSharesShortSessionsByWeightAmongEquallyFastServers() throws Exception {
        start(Algorithm.LEASTTIME, new ServerConfig("a", rig.track(new EchoServer("a")).address(), 10),
            new ServerConfig("b", rig.track(new EchoServer("b")).address(), 1),
            new ServerConfig("c", rig.track(new EchoServer("c")).address(), 1));
        // a first connect can be slow (the process's first, a cold server) and keeps its server out until it has
        // aged, three seconds at most: what this test is about is the share after that
        final long warm = System.nanoTime() + 3_500_000_000L;
        while (System.nanoTime() < warm) {
            session();
        }
        final Map<String, Integer> served = new HashMap<>();
        for (int i = 0; i < 1200; i++) {
            served.merge(session(), 1, Integer::sum);
        }
        // 100 each by weight at least (more, as a's last session is often still open at the next pick: fewer
        // sessions for the weight wins). The one drawn at nearly every connect measured faster than the others,
        // and with a floor of 50 us that took them down to a few in a thousand (black-box testing, session 24);
        // one slow connect (the loop preempted) kept c out for over a second: 1 of 1,200 (CI, session 24)
        assertThat(served.getOrDefault("b", 0)).as("b of %s", served).isGreaterThan(50);
        assertThat(served.getOrDefault("c", 0)).as("c of %s", served).isGreaterThan(50);
    }

    @Test
    void randomDrawsTwoAndTakesTheOneWithFewerSessionsSoAServerHoldingLongSessionsGetsNoNewOnes() throws Exception {
        final List<ServerConfig> servers = new ArrayList<>();
        for (final String name : List.of("a", "b", "c")) {
            servers.add(new ServerConfig(name, rig.track(new EchoServer(name)).address(), 1));
        }
        start(Algorithm.RANDOM, servers.toArray(ServerConfig[]::new));
        lb.setState("g", "b", ServerState.MAINT);
        lb.setState("g", "c", ServerState.MAINT);
        final List<Socket> longSessions = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            final Socket s = open();
            assertThat(greeting(s)).isEqualTo("a");
            longSessions.add(s);
        }
        lb.setState("g", "b", ServerState.UP);
        lb.setState("g", "c", ServerState.UP);
        Await.until(() -> server("b").acceptsNew() && server("c").acceptsNew(), 5000);

        final Map<String, Integer> served = new HashMap<>(Map.of("a", 0, "b", 0, "c", 0));
        final int n = 150;
        for (int i = 0; i < n; i++) {
            served.merge(session(), 1, Integer::sum);
        }

        // Every draw of 'a' pairs it with 'b' or 'c', which hold at most the one session just closed against a's
        // 20: 'a' never wins. Uniform random would have given it n/3 = 50.
        assertThat(served.get("a")).isZero();
        // 'b' wins the draw {a,b} (1/3) and about half of {b,c} (1/3; ties go to the first drawn, at random), so
        // about n/2 = 75 each, sd about 6: within 5 sd, and both get sessions, not one fixed least loaded server.
        assertThat(served.get("b")).isBetween(45, 105);
        assertThat(served.get("c")).isBetween(45, 105);
        assertThat(server("a").active()).isEqualTo(20);
        for (final Socket s : longSessions) {
            s.getOutputStream().write('z');
            assertThat(s.getInputStream().read()).as("a long session still served").isEqualTo('z');
        }
    }
}
