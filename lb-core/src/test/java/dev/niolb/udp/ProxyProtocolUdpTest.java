package dev.niolb.udp;

import dev.niolb.LoadBalancer;
import dev.niolb.admission.CidrSet;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.Endpoint;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.SendProxy;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import dev.niolb.reload.ReloadResult;
import dev.niolb.session.SessionInfo;
import dev.niolb.proxyprotocol.ProxyHeader;
import dev.niolb.proxyprotocol.ProxyHeaderEncoder;
import dev.niolb.testing.Await;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.LogCapture;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.UdpClient;
import dev.niolb.testing.UdpEchoServer;
import dev.niolb.testing.UdpHeaderServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PROXY protocol v2 on UDP: niolb putting a DGRAM header on the first or every datagram of a flow to a server,
 * and stripping the header a trusted peer puts on each datagram to a UDP listener. No open-source peer speaks
 * this for generic UDP, so both ends are in-process: {@link UdpHeaderServer} decodes with niolb's decoder, and
 * the "upstream proxy" is a plain socket on 127.0.0.2 writing headers built by the encoder.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class ProxyProtocolUdpTest {
    private static final String FRONT = "front";

    @RegisterExtension
    final EngineRig rig;
    private LoadBalancer lb;

    ProxyProtocolUdpTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    private void start(final AcceptProxy accept, final SendProxy send, final InetSocketAddress server)
        throws IOException {
        lb = rig.start(Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig(FRONT, Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS,
                UdpOptions.DEFAULTS).withAcceptProxy(accept),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("s", server, 1, false, 0, send)))));
    }

    private UdpListenerCounters counters() {
        return lb.udpListener(FRONT).counters();
    }

    // -------------------------------------------------------------------------------------------------- send

    @Test
    void proxyUdpFirstPutsTheHeaderOnTheFirstDatagramOfAFlowOnly() throws Exception {
        final UdpHeaderServer server = rig.track(new UdpHeaderServer());
        start(AcceptProxy.DISABLED, SendProxy.V2, server.address());
        try (UdpClient client = new UdpClient(lb.localAddress(FRONT), "127.0.0.2")) {
            final String me = Endpoint.hostPort(client.localAddress());
            assertThat(client.ask("one")).isEqualTo(me + " DGRAM one");
            assertThat(client.ask("two")).isEqualTo("no header two");
            assertThat(client.ask("three")).isEqualTo("no header three");
            assertThat(client.lastSender()).isEqualTo(lb.localAddress(FRONT)); // replies come back unchanged
        }
    }

    @Test
    void proxyUdpEveryPutsTheHeaderOnEveryDatagram() throws Exception {
        final UdpHeaderServer server = rig.track(new UdpHeaderServer());
        start(AcceptProxy.DISABLED, new SendProxy(SendProxy.Version.V2, SendProxy.UdpMode.EVERY), server.address());
        try (UdpClient client = new UdpClient(lb.localAddress(FRONT), "127.0.0.3")) {
            final String me = Endpoint.hostPort(client.localAddress());
            for (int i = 0; i < 5; i++) {
                assertThat(client.ask("n" + i)).isEqualTo(me + " DGRAM n" + i);
            }
        }
        assertThat(server.seen()).hasSize(5);
    }

    @Test
    void aDatagramTooLargeWithItsHeaderIsDroppedAndTheNextOneCarriesTheHeader() throws Exception {
        final UdpHeaderServer server = rig.track(new UdpHeaderServer());
        start(AcceptProxy.DISABLED, SendProxy.V2, server.address());
        try (UdpClient client = new UdpClient(lb.localAddress(FRONT), "127.0.0.2");
             LogCapture log = LogCapture.of(UdpListener.class.getName())) {
            final String me = Endpoint.hostPort(client.localAddress());
            client.send(new byte[65_500]); // fits UDP over IPv4 (65,507) alone; not with a 28-byte header

            assertThat(client.ask("small")).isEqualTo(me + " DGRAM small");
            assertThat(log.messages()).as("the client as the access log writes it, not the JDK's /127.0.0.2:port")
                .anyMatch(m -> m.contains("bytes from " + me + ": "));
        }
        assertThat(counters().get(UdpListenerCounters.DROPPED_TOO_LARGE)).isEqualTo(1);
        assertThat(counters().get(UdpListenerCounters.DROPPED_SEND)).as("the send buffer was not full").isZero();
        assertThat(counters().get(UdpListenerCounters.DATAGRAMS_IN)).isEqualTo(1);
        assertThat(counters().bytesIn()).isEqualTo("small".length());
    }

    @Test
    void aFirstDatagramTooLargeForItsServerOpensNoFlowAndHoldsNothing() throws Exception {
        final UdpHeaderServer server = rig.track(new UdpHeaderServer());
        start(AcceptProxy.DISABLED, SendProxy.V2, server.address());
        try (UdpClient big = new UdpClient(lb.localAddress(FRONT), "127.0.0.2");
             UdpClient small = new UdpClient(lb.localAddress(FRONT), "127.0.0.3")) {
            big.send(new byte[65_500]); // too large with its 28-byte header
            final String me = Endpoint.hostPort(small.localAddress());
            assertThat(small.ask("small")).isEqualTo(me + " DGRAM small"); // after the big one, on one loop
        }
        assertThat(counters().get(UdpListenerCounters.DROPPED_TOO_LARGE)).isEqualTo(1);
        assertThat(counters().get(UdpListenerCounters.FLOWS)).as("the small one's alone").isEqualTo(1);
        assertThat(counters().get(UdpListenerCounters.ACTIVE)).isEqualTo(1);
    }

    @Test
    void anIpv4ClientOfAnIpv6WildcardListenerGetsAnIpv4HeaderOnEitherTransport() throws Exception {
        final UdpHeaderServer server = rig.track(new UdpHeaderServer());
        lb = rig.start(Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig(FRONT, Protocol.UDP, new InetSocketAddress("::", 0), "g", TcpOptions.DEFAULTS,
                UdpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("s", server.address(), 1, false, 0, SendProxy.V2)))));
        final int port = lb.localAddress(FRONT).getPort();
        try (UdpClient client = new UdpClient(new InetSocketAddress("127.0.0.1", port), "127.0.0.2")) {
            assertThat(client.ask("x")).isEqualTo(Endpoint.hostPort(client.localAddress()) + " DGRAM x");
        }
        // epoll names the address the client sent to, nio (which cannot tell) the IPv4 wildcard: never ::, which
        // made the header IPv6 with the client's address mapped
        assertThat(server.destinations()).singleElement().satisfies(d -> {
            assertThat(d.getAddress()).isInstanceOf(java.net.Inet4Address.class);
            assertThat(d.getPort()).isEqualTo(port);
        });
    }

    @Test
    void theHeaderCarriesTheListenersAddressAsTheDestination() throws Exception {
        final UdpHeaderServer server = rig.track(new UdpHeaderServer());
        start(AcceptProxy.DISABLED, SendProxy.V2, server.address());
        try (UdpClient client = new UdpClient(lb.localAddress(FRONT), "127.0.0.2")) {
            assertThat(client.ask("x")).endsWith(" DGRAM x");
        }
        assertThat(server.destinations()).containsExactly(lb.localAddress(FRONT));
    }

    @Test
    void aFlowMovedToAnotherServerSendsItsFirstDatagramThereWithTheHeader() throws Exception {
        final UdpHeaderServer live = rig.track(new UdpHeaderServer());
        final InetSocketAddress dead = dev.niolb.testing.Ports.unreachableUdp();
        lb = rig.start(Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig(FRONT, Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS,
                UdpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(
                new ServerConfig("dead", dead, 1, false, 0, SendProxy.V2),
                new ServerConfig("live", live.address(), 1, false, 0, SendProxy.V2)))));
        for (int i = 0; i < 2; i++) { // round robin: one of the two flows tries the dead server first
            try (UdpClient client = new UdpClient(lb.localAddress(FRONT), "127.0.0.2")) {
                assertThat(client.ask("q" + i)).isEqualTo(Endpoint.hostPort(client.localAddress()) + " DGRAM q" + i);
            }
        }
        Await.until(() -> counters().get(UdpListenerCounters.SERVER_UNREACHABLE) >= 1, 2000);
    }

    // ------------------------------------------------------------------------------------------------ accept

    @Test
    void aTcpClientsHeaderOnADatagramLeavesThePeersOwnAddress() throws Exception {
        final UdpEchoServer server = rig.track(new UdpEchoServer("s"));
        start(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.2/32"))), SendProxy.NONE, server.address());
        final ByteBuffer header = ProxyHeaderEncoder.v2(new InetSocketAddress("198.51.100.1", 4000),
            lb.localAddress(FRONT), ProxyHeader.Transport.STREAM);
        final byte[] datagram = new byte[header.remaining() + 2];
        header.get(datagram, 0, header.remaining());
        datagram[datagram.length - 2] = 'h';
        datagram[datagram.length - 1] = 'i';
        try (UdpClient proxy = new UdpClient(lb.localAddress(FRONT), "127.0.0.2")) {
            proxy.send(datagram);

            assertThat(proxy.receiveText(2000)).isEqualTo("s:hi");
            assertThat(lb.sessions()).extracting(SessionInfo::client).containsExactly(proxy.localAddress());
        }
    }

    @Test
    void aTrustedPeersHeaderIsStrippedAndItsSourceIdentifiesTheFlow() throws Exception {
        final UdpEchoServer server = rig.track(new UdpEchoServer("s"));
        start(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.2/32"))), SendProxy.NONE, server.address());
        final InetSocketAddress alice = new InetSocketAddress("198.51.100.1", 4000);
        final InetSocketAddress bob = new InetSocketAddress("198.51.100.2", 4000);
        try (UdpClient proxy = new UdpClient(lb.localAddress(FRONT), "127.0.0.2")) {
            proxy.send(withHeader(alice, "hi from alice"));
            assertThat(proxy.receiveText(2000)).isEqualTo("s:hi from alice"); // the server got the payload only
            proxy.send(withHeader(bob, "hi from bob"));
            assertThat(proxy.receiveText(2000)).isEqualTo("s:hi from bob");
            proxy.send(withHeader(alice, "again"));
            assertThat(proxy.receiveText(2000)).isEqualTo("s:again");
            assertThat(lb.sessions()).extracting(SessionInfo::client).containsExactlyInAnyOrder(alice, bob);
        }
        assertThat(counters().flows()).isEqualTo(2);
        assertThat(counters().get(UdpListenerCounters.PROXY_HEADERS)).isEqualTo(3);
        assertThat(server.senders()).hasSize(2); // a socket per decoded client, not one for the proxy
    }

    @Test
    void theDecodedSourceIsWhatASendProxyServerHears() throws Exception {
        final UdpHeaderServer server = rig.track(new UdpHeaderServer());
        start(AcceptProxy.fromAnyPeer(), new SendProxy(SendProxy.Version.V2, SendProxy.UdpMode.EVERY),
            server.address());
        final InetSocketAddress carol = new InetSocketAddress("2001:db8::c", 5353);
        try (UdpClient proxy = new UdpClient(lb.localAddress(FRONT), "127.0.0.2")) {
            proxy.send(withHeader(carol, "query"));
            assertThat(proxy.receiveText(2000)).isEqualTo(Endpoint.hostPort(carol) + " DGRAM query");
        }
    }

    @Test
    void aDatagramThatIsOnlyAHeaderReachesASendProxyServerWithItsHeaderOnEveryTransport() throws Exception {
        // empty to the client's proxy, but not to the server: it goes with niolb's header (nio counted it "empty")
        final UdpHeaderServer server = rig.track(new UdpHeaderServer());
        start(AcceptProxy.fromAnyPeer(), new SendProxy(SendProxy.Version.V2, SendProxy.UdpMode.EVERY),
            server.address());
        final InetSocketAddress carol = new InetSocketAddress("203.0.113.53", 5353);
        try (UdpClient proxy = new UdpClient(lb.localAddress(FRONT), "127.0.0.2")) {
            proxy.send(withHeader(carol, ""));
            assertThat(proxy.receiveText(2000)).isEqualTo(Endpoint.hostPort(carol) + " DGRAM ");
        }
        assertThat(counters().get(UdpListenerCounters.DROPPED_EMPTY)).isZero();
    }

    /** Trusting every peer, with an access list of {@code allow} and {@code deny}, before an echo server "s". */
    private UdpEchoServer startTrustingEveryPeer(final String allow, final String deny) throws IOException {
        final UdpEchoServer server = rig.track(new UdpEchoServer("s"));
        lb = rig.start(Config.single(1, Duration.ofSeconds(1),
            new ListenerConfig(FRONT, Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS,
                UdpOptions.DEFAULTS).withAcceptProxy(AcceptProxy.fromAnyPeer())
                .withLimits(dev.niolb.config.ListenerLimits.NONE.withAccess(
                    allow == null ? CidrSet.EMPTY : CidrSet.parse(List.of(allow)),
                    deny == null ? CidrSet.EMPTY : CidrSet.parse(List.of(deny)))),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", server.address(), 1)))));
        return server;
    }

    /** A v2 LOCAL header, then {@code payload}: a proxy's own datagram, its health check. */
    private static byte[] local(final String payload) {
        final ByteBuffer header = ProxyHeaderEncoder.v2Local();
        final byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        final byte[] out = new byte[header.remaining() + body.length];
        header.get(out, 0, header.remaining());
        System.arraycopy(body, 0, out, out.length - body.length, body.length);
        return out;
    }

    @Test
    void aTrustedPeersLocalDatagramIsNotJudgedByAnAllowListOfClients() throws Exception {
        startTrustingEveryPeer("198.51.100.0/24", null);
        try (UdpClient proxy = new UdpClient(lb.localAddress(FRONT), "127.0.0.2")) {
            proxy.send(local("ping")); // the proxy's own health check: it names no client
            assertThat(proxy.receiveText(2000)).isEqualTo("s:ping");

            proxy.send(withHeader(new InetSocketAddress("203.0.113.9", 53), "query")); // a client: still judged
            Await.until(() -> counters().get(UdpListenerCounters.DROPPED_ACL) == 1, 2000);
        }
    }

    @Test
    void aTrustedPeerTheDenyListNamesHasItsLocalDatagramsDropped() throws Exception {
        final UdpEchoServer server = startTrustingEveryPeer(null, "127.0.0.2/32");
        try (UdpClient proxy = new UdpClient(lb.localAddress(FRONT), "127.0.0.2")) {
            proxy.send(local("ping"));
            Await.until(() -> counters().get(UdpListenerCounters.DROPPED_ACL) == 1, 2000);
            assertThat(server.received()).isZero();
        }
    }

    @Test
    void aDatagramFromATrustedPeerWithoutAValidHeaderIsDroppedAndCounted() throws Exception {
        final UdpEchoServer server = rig.track(new UdpEchoServer("s"));
        start(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.2/32"))), SendProxy.NONE, server.address());
        try (UdpClient proxy = new UdpClient(lb.localAddress(FRONT), "127.0.0.2")) {
            proxy.send("no header here");
            final ByteBuffer cut = ProxyHeaderEncoder.v2(new InetSocketAddress("10.0.0.1", 1),
                new InetSocketAddress("10.0.0.2", 2), ProxyHeader.Transport.DGRAM);
            final byte[] truncated = new byte[20];
            cut.get(truncated);
            proxy.send(truncated);
            assertThat(proxy.receive(300)).isNull();
            proxy.send(withHeader(new InetSocketAddress("10.0.0.1", 1), "fine"));
            assertThat(proxy.receiveText(2000)).isEqualTo("s:fine");
        }
        Await.until(() -> counters().get(UdpListenerCounters.DROPPED_PROXY_HEADER) == 2, 2000);
        assertThat(server.received()).isEqualTo(1);
    }

    @Test
    void aDatagramWithAV1HeaderIsDroppedAndCountedAsAProxyHeaderDrop() throws Exception {
        final UdpEchoServer server = rig.track(new UdpEchoServer("s"));
        start(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.2/32"))), SendProxy.NONE, server.address());
        try (UdpClient proxy = new UdpClient(lb.localAddress(FRONT), "127.0.0.2")) {
            proxy.send("PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\nv1");
            proxy.send(withHeader(new InetSocketAddress("10.0.0.1", 1), "v2")); // after the first on this socket
            assertThat(proxy.receiveText(2000)).isEqualTo("s:v2");
        }
        Await.until(() -> counters().get(UdpListenerCounters.DROPPED_PROXY_HEADER) == 1, 2000);
        assertThat(counters().get(UdpListenerCounters.PROXY_HEADERS)).isEqualTo(1);
        assertThat(server.received()).isEqualTo(1);
    }

    @Test
    void theDropWarningSaysTheHeaderWasRefusedAndNamesThePeerAsTcpsDoes() throws Exception {
        final UdpEchoServer server = rig.track(new UdpEchoServer("s"));
        start(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.2/32"))), SendProxy.NONE, server.address());
        try (LogCapture log = LogCapture.of(UdpListener.class.getName());
             UdpClient proxy = new UdpClient(lb.localAddress(FRONT), "127.0.0.2")) {
            proxy.send("no header here");
            Await.until(() -> !log.messages().isEmpty(), 2000);
            assertThat(log.messages().getFirst()).isEqualTo("listener " + FRONT + ": dropped a datagram from 127.0.0.2:"
                + proxy.localAddress().getPort() + ": PROXY protocol header refused: not a PROXY protocol header");
        }
    }

    @Test
    void aReloadOfTheTrustedSourcesIsSaidOnceAsNotAppliedNotAlsoAsAChange() throws Exception {
        final UdpEchoServer server = rig.track(new UdpEchoServer("s"));
        start(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.2/32"))), SendProxy.NONE, server.address());
        final Config running = lb.config();

        final ReloadResult result = lb.reload(running.withListeners(List.of(running.listeners().getFirst()
            .withAcceptProxy(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.5/32")))))));

        assertThat(result.notApplied())
            .containsExactly("listener front: accept-proxy-from [127.0.0.2/32]→[127.0.0.5/32] needs a restart");
        assertThat(result.diff().summary()).as("what the INFO line says was applied").isEqualTo("no change");
    }

    @Test
    void aPeerOutsideTheTrustedSourcesIsTakenAsADirectClient() throws Exception {
        final UdpHeaderServer server = rig.track(new UdpHeaderServer());
        start(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.2/32"))), SendProxy.V2, server.address());
        try (UdpClient direct = new UdpClient(lb.localAddress(FRONT), "127.0.0.3")) {
            // its header is not read: it cannot claim 10.6.6.6, and the server hears its real address
            direct.send(withHeader(new InetSocketAddress("10.6.6.6", 6), "spoof"));
            assertThat(direct.receiveText(2000)).startsWith(Endpoint.hostPort(direct.localAddress()) + " DGRAM ");
        }
        assertThat(counters().get(UdpListenerCounters.PROXY_DIRECT)).isEqualTo(1);
    }

    private byte[] withHeader(final InetSocketAddress source, final String payload) {
        final ByteBuffer header = ProxyHeaderEncoder.v2(source, lb.localAddress(FRONT), ProxyHeader.Transport.DGRAM);
        final byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        final byte[] out = new byte[header.remaining() + body.length];
        header.get(out, 0, header.remaining());
        System.arraycopy(body, 0, out, out.length - body.length, body.length);
        return out;
    }
}
