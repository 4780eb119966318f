package dev.niolb.udp;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.Await;
import dev.niolb.testing.Ports;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.UdpClient;
import dev.niolb.testing.UdpEchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * UDP flows and server states: a flow leaves a DOWN server on its client's next datagram, DRAIN and MAINT keep
 * their flows, and ICMP port unreachable counts for passive health as a refused TCP connect does.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class UdpServerStatesTest {
    private static final String FRONT = "front";

    @RegisterExtension
    final EngineRig rig;
    private LoadBalancer lb;

    UdpServerStatesTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    private void start(final HealthCheckConfig health, final List<ServerConfig> servers) throws IOException {
        lb = rig.start(Config.single(1, Duration.ofSeconds(5),
            new ListenerConfig(FRONT, Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS,
                UdpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, servers, health)));
    }

    private UdpClient client() throws IOException {
        return rig.track(new UdpClient(lb.localAddress(FRONT)));
    }

    private Server server(final String name) {
        return lb.group("g").snapshot().server(name);
    }

    /**
     * Closes an echo server and returns once its port is free: a socket closed while its thread is blocked in
     * receive is released a moment later, and a datagram that reached it meanwhile would be lost without ICMP.
     */
    private static void stop(final UdpEchoServer server) throws Exception {
        final InetSocketAddress address = server.address(); // a closed socket has none
        server.close();
        Await.until(() -> {
            try (DatagramSocket probe = new DatagramSocket(address)) {
                return true;
            } catch (final java.net.SocketException e) {
                return false;
            }
        }, 2000);
    }

    private UdpListenerCounters counters() {
        return lb.udpListener(FRONT).counters();
    }

    @Test
    void aFlowWhoseServerGoesDownMovesToAnotherServerOnItsClientsNextDatagram() throws Exception {
        final UdpEchoServer s0 = rig.track(new UdpEchoServer("s0"));
        final UdpEchoServer s1 = rig.track(new UdpEchoServer("s1"));
        // each also has a TCP port for a tcp check, as the issue has it for UDP servers with one: closing s0's is
        // how it goes DOWN while its UDP socket still answers, so that only its state can move the flow
        final ServerSocket s0CheckPort = rig.track(new ServerSocket(0, 50, s0.address().getAddress()));
        final ServerSocket s1CheckPort = rig.track(new ServerSocket(0, 50, s1.address().getAddress()));
        start(HealthCheckConfig.DEFAULTS.withChecks(List.of(new CheckSpec.Tcp()))
                .withInterval(Duration.ofMillis(50)).withTimeout(Duration.ofMillis(500)).withRise(1).withFall(1),
            List.of(new ServerConfig("s0", s0.address(), 1, false, s0CheckPort.getLocalPort()),
                new ServerConfig("s1", s1.address(), 1, false, s1CheckPort.getLocalPort())));
        final UdpClient client = client();
        assertThat(client.ask("before")).isEqualTo("s0:before");
        assertThat(client.ask("still s0")).isEqualTo("s0:still s0");

        s0CheckPort.close();
        Await.until(() -> server("s0").state() == ServerState.DOWN, 5000);

        assertThat(client.ask("after")).isEqualTo("s1:after");
        assertThat(client.ask("and on")).isEqualTo("s1:and on");
        assertThat(s0.received()).isEqualTo(2);
        assertThat(counters().get(UdpListenerCounters.MOVED)).isEqualTo(1);
        assertThat(counters().flows()).as("the same flow, moved").isEqualTo(1);
        assertThat(server("s0").counters().active()).isZero();
        assertThat(server("s1").counters().active()).isEqualTo(1);
    }

    @Test
    void whatAServerGoneDownTookAndNeverAnsweredIsNotSentAgainWhenItsFlowMoves() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            final UdpEchoServer s1 = rig.track(new UdpEchoServer("s1"));
            start(HealthCheckConfig.DEFAULTS, List.of(
                new ServerConfig("s0", (InetSocketAddress) silent.getLocalSocketAddress(), 1),
                new ServerConfig("s1", s1.address(), 1)));
            final UdpClient client = client();
            client.send("query 1"); // to s0, which takes it and never answers (its check fails, its port works)
            silent.setSoTimeout(5000);
            silent.receive(new java.net.DatagramPacket(new byte[64], 64));

            server("s0").health(false, "test");
            client.send("query 1"); // the client's retry: what moves the flow

            assertThat(client.receiveText(5000)).isEqualTo("s1:query 1");
            assertThat(client.receiveText(300)).as("answered once, not twice").isNull();
            assertThat(s1.received()).isEqualTo(1);
            assertThat(counters().get(UdpListenerCounters.MOVED)).isEqualTo(1);
            assertThat(counters().datagramsIn()).as("each counted once, as sent").isEqualTo(2);
        }
    }

    @Test
    void aFlowWhoseServerIsDownWithNoOtherServerEndsAndItsDatagramIsCounted() throws Exception {
        final UdpEchoServer s0 = rig.track(new UdpEchoServer("s0"));
        start(HealthCheckConfig.DEFAULTS, List.of(new ServerConfig("s0", s0.address(), 1)));
        final UdpClient client = client();
        assertThat(client.ask("hi")).isEqualTo("s0:hi");

        server("s0").health(false, "test");
        client.send("anyone?");

        assertThat(client.receiveText(300)).isNull();
        assertThat(counters().get(UdpListenerCounters.DROPPED_NO_SERVER)).isEqualTo(1);
        assertThat(counters().active()).isZero();
        assertThat(s0.received()).isEqualTo(1);
    }

    @Test
    void aDrainOrMaintServerKeepsItsFlowsUntilTheyEndAndGetsNoNewOnes() throws Exception {
        for (final ServerState mode : List.of(ServerState.DRAIN, ServerState.MAINT)) {
            final UdpEchoServer s0 = rig.track(new UdpEchoServer("s0"));
            final UdpEchoServer s1 = rig.track(new UdpEchoServer("s1"));
            start(HealthCheckConfig.DEFAULTS, List.of(new ServerConfig("s0", s0.address(), 1),
                new ServerConfig("s1", s1.address(), 1)));
            final UdpClient early = client();
            assertThat(early.ask("x")).isEqualTo("s0:x");

            server("s0").operatorMode(mode, "test");

            for (int i = 0; i < 4; i++) {
                assertThat(client().ask("new " + i)).as(mode + ": new client " + i).isEqualTo("s1:new " + i);
            }
            assertThat(early.ask("still here")).as(mode + ": the existing flow").isEqualTo("s0:still here");
            assertThat(counters().get(UdpListenerCounters.MOVED)).isZero();
            lb.stop(Duration.ZERO);
            lb = null;
        }
    }

    @Test
    void aUdpServerThatStopsGoesDownAfterMaxFailsAndItsClientsDatagramsGoToTheOtherServer() throws Exception {
        final UdpEchoServer s0 = rig.track(new UdpEchoServer("s0"));
        final UdpEchoServer s1 = rig.track(new UdpEchoServer("s1"));
        start(HealthCheckConfig.DEFAULTS.withMaxFails(3).withInterval(Duration.ofSeconds(10)),
            List.of(new ServerConfig("s0", s0.address(), 1), new ServerConfig("s1", s1.address(), 1)));
        final List<UdpClient> clients = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            final UdpClient c = client();
            assertThat(c.ask("c" + i)).isEqualTo((i % 2 == 0 ? "s0:" : "s1:") + "c" + i);
            clients.add(c);
        }

        stop(s0); // its port now answers ICMP port unreachable

        // each client of s0 loses its datagram to the dead socket once (UDP: no retry of what was answered
        // before), then its next datagram opens a flow; every failure counts until max-fails takes s0 DOWN
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < clients.size(); i += 2) {
                clients.get(i).send("lost? " + i);
                clients.get(i).receiveText(100);
            }
        }
        Await.until(() -> server("s0").state() == ServerState.DOWN, 2000);
        final long failed = server("s0").counters().failedConnects();
        assertThat(failed).isBetween(3L, 6L);

        for (int i = 0; i < clients.size(); i++) {
            assertThat(clients.get(i).ask("after " + i)).isEqualTo("s1:after " + i);
        }
        assertThat(server("s0").counters().failedConnects()).as("no datagram tried s0 once DOWN").isEqualTo(failed);
        assertThat(server("s0").counters().active()).isZero();
    }

    @Test
    void aServerWhosePortIsClosedTookNoFlowAndHasNoSessionTimes() throws Exception {
        final InetSocketAddress closed;
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            closed = (InetSocketAddress) probe.getLocalSocketAddress();
        }
        start(HealthCheckConfig.DEFAULTS.withMaxFails(0), List.of(new ServerConfig("dead", closed, 1)));
        final UdpListenerCounters counters = lb.udpListener(FRONT).counters();
        final UdpClient client = client();
        for (int i = 0; i < 3; i++) {
            client.send("anyone? " + i);
            final int flows = i + 1;
            Await.until(() -> counters.flows() == flows && counters.active() == 0, 5000); // ended: no server
        }
        assertThat(server("dead").counters().failedConnects()).isEqualTo(3);
        // as a TCP connect that failed is no session: neither connections_total nor session_seconds
        assertThat(server("dead").counters().total()).isZero();
        assertThat(server("dead").counters().sessionTimes().snapshot(System.nanoTime() / 1_000_000L).count())
            .isZero();
    }

    @Test
    void aUdpServerTakenDownByPortUnreachableIsReprobedWithADatagramAndComesBackWhenItListensAgain() throws Exception {
        // a port the kernel hands no other socket meanwhile: s0 listens on it again after it was closed
        final UdpEchoServer s0 = rig.track(new UdpEchoServer("s0", 1, Ports.freeForTcpAndUdp()));
        final InetSocketAddress s0Address = s0.address();
        final UdpEchoServer s1 = rig.track(new UdpEchoServer("s1"));
        start(HealthCheckConfig.DEFAULTS.withMaxFails(2).withInterval(Duration.ofMillis(100))
                .withTimeout(Duration.ofMillis(200)),
            List.of(new ServerConfig("s0", s0Address, 1), new ServerConfig("s1", s1.address(), 1)));
        stop(s0);
        for (int i = 0; i < 4; i++) {
            assertThat(client().ask("q" + i)).isEqualTo("s1:q" + i); // flows to s0 move to s1, unseen
        }
        Await.until(() -> server("s0").state() == ServerState.DOWN, 2000);
        final long failed = server("s0").healthCounters().checksFailed();
        Await.until(() -> server("s0").healthCounters().checksFailed() >= failed + 2, 5000); // port unreachable
        assertThat(server("s0").state()).as("DOWN while nothing is bound").isEqualTo(ServerState.DOWN);

        rig.track(new UdpEchoServer("s0", 1, s0Address)); // no TCP port: a connect re-probe would never pass
        Await.until(() -> server("s0").state() == ServerState.UP, 5000);

        assertThat(client().ask("back")).isEqualTo("s0:back");
    }

    @Test
    void aServerThatTcpAndUdpListenersShareTakenDownByPortUnreachableIsReprobedWithADatagramNotAConnect()
        throws Exception {
        // its TCP port open, its UDP port closed: the connect re-probe passed and brought it UP for the next
        // datagrams to take DOWN again, every interval (black-box testing, session 29)
        final java.net.ServerSocket tcpOnly = rig.track(new java.net.ServerSocket(Ports.freeForTcpAndUdp(), 50,
            java.net.InetAddress.getLoopbackAddress()));
        final UdpEchoServer s1 = rig.track(new UdpEchoServer("s1"));
        final InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        lb = rig.start(new Config(1, Duration.ofSeconds(5),
            List.of(new ListenerConfig(FRONT, Protocol.UDP, any, "g", TcpOptions.DEFAULTS, UdpOptions.DEFAULTS),
                new ListenerConfig("tcp", Protocol.TCP, any, "g", TcpOptions.DEFAULTS)),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(
                new ServerConfig("half", (InetSocketAddress) tcpOnly.getLocalSocketAddress(), 1),
                new ServerConfig("s1", s1.address(), 1)),
                HealthCheckConfig.DEFAULTS.withMaxFails(2).withInterval(Duration.ofMillis(100))
                    .withTimeout(Duration.ofMillis(200))))));
        for (int i = 0; i < 4; i++) {
            assertThat(client().ask("q" + i)).isEqualTo("s1:q" + i); // flows to half move to s1, unseen
        }
        Await.until(() -> server("half").state() == ServerState.DOWN, 2000);
        final long failed = server("half").healthCounters().checksFailed();
        Await.until(() -> server("half").healthCounters().checksFailed() >= failed + 2, 5000); // port unreachable
        assertThat(server("half").healthCounters().changesTo(ServerState.UP)).as("never brought UP by a connect")
            .isZero();
        assertThat(server("half").state()).isEqualTo(ServerState.DOWN);
    }

    /** iperf3's UDP server closes its port between two tests: the pause must not leave it DOWN long after (issue 14). */
    @Test
    void aUdpServerAwayForManyReprobesIsBackWithinAboutOneIntervalOfListeningAgain() throws Exception {
        // a port the kernel hands no other socket meanwhile: s0 listens on it again after it was closed
        final UdpEchoServer s0 = rig.track(new UdpEchoServer("s0", 1, Ports.freeForTcpAndUdp()));
        final InetSocketAddress s0Address = s0.address();
        final UdpEchoServer s1 = rig.track(new UdpEchoServer("s1"));
        start(HealthCheckConfig.DEFAULTS.withMaxFails(2).withInterval(Duration.ofMillis(100))
                .withTimeout(Duration.ofMillis(200)),
            List.of(new ServerConfig("s0", s0Address, 1), new ServerConfig("s1", s1.address(), 1)));
        stop(s0);
        for (int i = 0; i < 4; i++) {
            assertThat(client().ask("q" + i)).isEqualTo("s1:q" + i);
        }
        Await.until(() -> server("s0").state() == ServerState.DOWN, 2000);
        // six re-probes answered by port unreachable: a back-off doubling from the interval would wait 6.4 s more
        Await.until(() -> server("s0").healthCounters().checksFailed() >= 6, 10_000);

        rig.track(new UdpEchoServer("s0", 1, s0Address));
        final long back = System.nanoTime();
        Await.until(() -> server("s0").state() == ServerState.UP, 10_000);
        final long ms = (server("s0").stateChangedNanos() - back) / 1_000_000;
        assertThat(ms).as("ms from listening again to UP, at a 100 ms interval").isLessThan(2000);
        assertThat(client().ask("back")).isEqualTo("s0:back");
    }
}
