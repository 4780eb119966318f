package dev.niolb.tcp;

import dev.niolb.LoadBalancer;
import dev.niolb.admission.Admission;
import dev.niolb.admission.CidrSet;
import dev.niolb.balance.ClientHash;
import dev.niolb.balance.MaglevTable;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ListenerLimits;
import dev.niolb.config.Protocol;
import dev.niolb.config.SendProxy;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.proxyprotocol.ProxyHeader;
import dev.niolb.proxyprotocol.ProxyHeaderEncoder;
import dev.niolb.testing.Await;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.HeaderEchoServer;
import dev.niolb.testing.LoopbackV6;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * TCP over IPv6 end to end, on loopback: a listener on {@code [::1]}, servers on {@code [::1]}, and clients from
 * {@code ::1} or from addresses this class adds to {@code lo} ({@link LoopbackV6}: a few in one /64, others in
 * another, so that what counts a /64 as one source can be seen). Every test skips when {@code ::1} does not work;
 * those that need more client addresses skip when they cannot be added (not root, no iproute2).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EveryTransport
class Ipv6EndToEndTest {
    private static final InetSocketAddress ANY_PORT_V6 = new InetSocketAddress("::1", 0);
    private static LoopbackV6 lo;

    @RegisterExtension
    final EngineRig rig;
    private LoadBalancer lb;

    Ipv6EndToEndTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    @BeforeAll
    static void loopback() {
        lo = LoopbackV6.open();
    }

    @AfterAll
    static void removeAddresses() throws IOException {
        if (lo != null) {
            lo.close();
        }
    }

    private static void assumeLoopbackV6() {
        final String why = LoopbackV6.whyNoLoopback();
        assumeTrue(why == null, why);
    }

    /** Client address {@code host} in /64 number {@code net}; skips the test when addresses cannot be added. */
    private static InetAddress client(final int net, final int host) throws IOException {
        assumeTrue(lo.why() == null, () -> lo.why() + ": skipping what needs several IPv6 client addresses");
        return lo.address(net, host);
    }

    private void start(final Algorithm balance, final ListenerLimits limits, final List<ServerConfig> servers)
        throws IOException {
        lb = rig.start(Config.single(2, Duration.ZERO,
            new ListenerConfig("front", Protocol.TCP, ANY_PORT_V6, "g", TcpOptions.DEFAULTS).withLimits(limits),
            new TargetGroupConfig("g", balance, servers)));
    }

    private List<ServerConfig> greeters(final int n) throws IOException {
        final List<ServerConfig> servers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final EchoServer s = rig.track(new EchoServer(ANY_PORT_V6, "server-" + i));
            servers.add(new ServerConfig("server-" + i, s.address(), 1));
        }
        return servers;
    }

    private Socket connect(final InetAddress from) throws IOException {
        final Socket s = rig.track(new Socket());
        s.bind(new InetSocketAddress(from, 0));
        s.connect(lb.localAddress("front"), 2000);
        s.setSoTimeout(5_000);
        return s;
    }

    private static String readLine(final Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }

    /** The greeting of the server that takes a client from {@code from}, and one byte echoed through it. */
    private String servedBy(final InetAddress from) throws IOException {
        try (Socket s = connect(from)) {
            final String greeting = readLine(s);
            s.getOutputStream().write('x');
            assertThat(s.getInputStream().read()).as("echoed").isEqualTo('x');
            return greeting;
        }
    }

    private ListenerCounters counters() {
        return lb.listener("front").counters();
    }

    // --------------------------------------------------------------------------------------------- plain

    @Test
    void aClientOfAListenerOnV6IsRelayedToAServerOnV6BothWays() throws Exception {
        assumeLoopbackV6();
        start(Algorithm.ROUNDROBIN, ListenerLimits.NONE, greeters(1));

        assertThat(lb.localAddress("front").getAddress()).isInstanceOf(Inet6Address.class);
        assertThat(servedBy(InetAddress.getByName("::1"))).isEqualTo("server-0");
        assertThat(lb.group("g").snapshot().server("server-0").counters().total()).isEqualTo(1);
    }

    // -------------------------------------------------------------------------------------- source hashing

    @Test
    void sourceHashingKeepsEachV6ClientOnTheServerItsAddressHashesTo() throws Exception {
        final List<InetAddress> clients = new ArrayList<>();
        for (int net = 1; net <= 3; net++) {
            for (int host = 1; host <= 4; host++) {
                clients.add(client(net, host));
            }
        }
        start(Algorithm.SOURCE, ListenerLimits.NONE, greeters(3));
        final MaglevTable table = lb.group("g").snapshot().maglevTable();

        final Map<InetAddress, String> first = new HashMap<>();
        for (int round = 0; round < 3; round++) {
            for (final InetAddress c : clients) {
                final String server = servedBy(c);
                assertThat(first.putIfAbsent(c, server)).as("%s in round %d", c, round).isIn(null, server);
                // the whole 128-bit address is hashed: the server the table names for it, on both loops
                assertThat(server).as("%s", c).isEqualTo(table.serverAt(table.slotOf(ClientHash.of(c))).name());
            }
        }
        final Set<String> used = new HashSet<>(first.values());
        assertThat(used).as("twelve addresses over three servers").hasSizeGreaterThan(1);
    }

    // ------------------------------------------------------------------------------------------- PROXY v2

    @Test
    void sendProxyV2GivesAServerOnV6TheV6ClientAndListenerAddresses() throws Exception {
        assumeLoopbackV6();
        final HeaderEchoServer backend = rig.track(new HeaderEchoServer(ANY_PORT_V6));
        start(Algorithm.ROUNDROBIN, ListenerLimits.NONE,
            List.of(new ServerConfig("s", backend.address(), 1, false, 0, SendProxy.V2)));
        final InetAddress from = lo.why() == null ? client(2, 9) : InetAddress.getByName("::1");

        try (Socket s = connect(from)) {
            // an IPv6 source can only be carried by the TCP6 family (0x21) of a v2 header
            assertThat(readLine(s)).isEqualTo(HeaderEchoServer.line((InetSocketAddress) s.getLocalSocketAddress(),
                lb.localAddress("front"), 2));
            s.getOutputStream().write('y');
            assertThat(s.getInputStream().read()).isEqualTo('y');
        }
    }

    @Test
    void aV2Tcp6HeaderFromATrustedPeerNamesTheClientThatTheAccessListJudgesAndTheServerIsTold() throws Exception {
        assumeLoopbackV6();
        final HeaderEchoServer backend = rig.track(new HeaderEchoServer(ANY_PORT_V6));
        lb = rig.start(Config.single(2, Duration.ZERO,
            new ListenerConfig("front", Protocol.TCP, ANY_PORT_V6, "g", TcpOptions.DEFAULTS)
                .withAcceptProxy(AcceptProxy.from(CidrSet.parse(List.of("::1/128"))))
                .withLimits(ListenerLimits.NONE.withAccess(CidrSet.EMPTY, CidrSet.parse(List.of("2001:db8:bad::/64")))),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("s", backend.address(), 1, false, 0, SendProxy.V2)))));
        final InetSocketAddress client = new InetSocketAddress("2001:db8:1::7", 40_000);
        final InetSocketAddress denied = new InetSocketAddress("2001:db8:bad::9", 40_001);

        try (Socket s = viaProxy(client)) {
            assertThat(readLine(s)).isEqualTo(HeaderEchoServer.line(client, lb.localAddress("front"), 2));
        }
        final Socket refused = viaProxy(denied);
        assertThatThrownBy(() -> refused.getInputStream().read()).isInstanceOf(SocketException.class)
            .hasMessageContaining("reset");
        Await.until(() -> counters().rejected(Admission.Verdict.ACL) == 1, 2000);
        assertThat(backend.accepted()).isEqualTo(1);
    }

    /** A connection from {@code ::1}, a trusted proxy, whose PROXY v2 header (TCP6) names {@code client}. */
    private Socket viaProxy(final InetSocketAddress client) throws IOException {
        final Socket s = connect(InetAddress.getByName("::1"));
        final ByteBuffer header = ProxyHeaderEncoder.v2(client, lb.localAddress("front"), ProxyHeader.Transport.STREAM);
        assertThat(header.get(13)).as("family and transport: TCP over IPv6").isEqualTo((byte) 0x21);
        s.getOutputStream().write(header.array(), header.arrayOffset() + header.position(), header.remaining());
        return s;
    }

    // ------------------------------------------------------------------------------------- per-source limit

    @Test
    void aPerSourceLimitCountsAV6Slash64AsOneSource() throws Exception {
        final InetAddress a1 = client(1, 1);
        final InetAddress a2 = client(1, 2);
        final InetAddress a3 = client(1, 3);
        final InetAddress other = client(2, 1);
        start(Algorithm.ROUNDROBIN, ListenerLimits.NONE.withSourceMaxconn(2), greeters(1));

        final Socket first = connect(a1);
        assertThat(readLine(first)).isEqualTo("server-0");
        final Socket second = connect(a2);
        assertThat(readLine(second)).isEqualTo("server-0");
        // a third address of the same /64 is the same source, at its limit of 2
        assertThatThrownBy(() -> connect(a3).getInputStream().read()).isInstanceOf(SocketException.class)
            .hasMessageContaining("reset");
        Await.until(() -> counters().rejected(Admission.Verdict.SOURCE_LIMIT) == 1, 2000);
        // another /64 is another source
        assertThat(servedBy(other)).isEqualTo("server-0");

        first.close();
        Await.until(() -> counters().active() == 1, 2000); // the /64 has a place again
        assertThat(servedBy(a3)).isEqualTo("server-0");
        assertThat(counters().rejected(Admission.Verdict.SOURCE_LIMIT)).isEqualTo(1);
    }

    // ----------------------------------------------------------------------------------------- access list

    @Test
    void anAccessListWithAV6BlockRefusesItsAddressesAndServesOthers() throws Exception {
        final InetAddress denied = client(1, 5);
        final InetAddress allowed = client(2, 5);
        start(Algorithm.ROUNDROBIN, ListenerLimits.NONE.withAccess(CidrSet.EMPTY, CidrSet.parse(List.of(lo.net(1)))),
            greeters(1));

        assertThatThrownBy(() -> connect(denied).getInputStream().read()).isInstanceOf(SocketException.class)
            .hasMessageContaining("reset");
        assertThat(servedBy(allowed)).isEqualTo("server-0");
        assertThat(servedBy(InetAddress.getByName("::1"))).isEqualTo("server-0");

        Await.until(() -> counters().rejected(Admission.Verdict.ACL) == 1, 2000);
    }

    @Test
    void anAllowListOfAV6BlockServesOnlyItsAddresses() throws Exception {
        final InetAddress inside = client(2, 6);
        final InetAddress outside = client(3, 6);
        start(Algorithm.ROUNDROBIN, ListenerLimits.NONE.withAccess(CidrSet.parse(List.of(lo.net(2))), CidrSet.EMPTY),
            greeters(1));

        assertThat(servedBy(inside)).isEqualTo("server-0");
        assertThatThrownBy(() -> connect(outside).getInputStream().read()).isInstanceOf(SocketException.class)
            .hasMessageContaining("reset");
        assertThatThrownBy(() -> connect(InetAddress.getByName("::1")).getInputStream().read())
            .isInstanceOf(SocketException.class).hasMessageContaining("reset");

        Await.until(() -> counters().rejected(Admission.Verdict.ACL) == 2, 2000);
    }
}
