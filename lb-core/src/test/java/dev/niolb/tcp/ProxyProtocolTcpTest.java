package dev.niolb.tcp;

import dev.niolb.LoadBalancer;
import dev.niolb.admission.CidrSet;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.SendProxy;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.session.SessionInfo;
import dev.niolb.session.Termination;
import dev.niolb.proxyprotocol.ProxyHeader;
import dev.niolb.proxyprotocol.ProxyHeaderEncoder;
import dev.niolb.testing.Await;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.HeaderEchoServer;
import dev.niolb.testing.TcpServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PROXY protocol on TCP end to end: niolb sending headers to servers ({@code send-proxy}, {@code send-proxy-v2})
 * and reading them from trusted peers ({@code accept-proxy}), over real loopback sockets. The servers decode
 * what they get ({@link HeaderEchoServer}); 127.0.0.2 and 127.0.0.3 are distinct client addresses.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EveryTransport
class ProxyProtocolTcpTest {
    @RegisterExtension
    final EngineRig rig;
    private LoadBalancer lb;

    ProxyProtocolTcpTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    private void start(final AcceptProxy accept, final Algorithm balance, final ServerConfig... servers)
        throws IOException {
        lb = rig.start(Config.single(2, Duration.ofSeconds(5),
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                TcpOptions.DEFAULTS).withAcceptProxy(accept),
            new TargetGroupConfig("g", balance, List.of(servers))));
    }

    private void start(final AcceptProxy accept, final ServerConfig... servers) throws IOException {
        start(accept, Algorithm.ROUNDROBIN, servers);
    }

    private static ServerConfig server(final String name, final InetSocketAddress address, final SendProxy send) {
        return new ServerConfig(name, address, 1, false, 0, send);
    }

    private Socket connectFrom(final String clientIp) throws IOException {
        final Socket s = new Socket();
        s.bind(new InetSocketAddress(clientIp, 0));
        s.connect(lb.localAddress("front"), 2000);
        s.setSoTimeout(10_000);
        return s;
    }

    private ListenerCounters counters() {
        return lb.listener("front").counters();
    }

    // -------------------------------------------------------------------------------------------------- send

    @Test
    void sendProxyGivesTheServerTheClientsAddressAndTheAddressItConnectedTo() throws Exception {
        final HeaderEchoServer backend = rig.track(new HeaderEchoServer());
        start(AcceptProxy.DISABLED, server("s", backend.address(), SendProxy.V1));
        try (Socket s = connectFrom("127.0.0.2")) {
            assertThat(readLine(s)).isEqualTo(HeaderEchoServer.line(local(s), lb.localAddress("front"), 1));
            assertThat(echo(s, "hello")).isEqualTo("hello");
        }
    }

    @Test
    void sendProxyV2GivesTheServerTheClientsAddressInBinary() throws Exception {
        final HeaderEchoServer backend = rig.track(new HeaderEchoServer());
        start(AcceptProxy.DISABLED, server("s", backend.address(), SendProxy.V2));
        try (Socket s = connectFrom("127.0.0.3")) {
            assertThat(readLine(s)).isEqualTo(HeaderEchoServer.line(local(s), lb.localAddress("front"), 2));
            assertThat(echo(s, "hello")).isEqualTo("hello");
        }
    }

    @Test
    void aServerWithoutSendProxyGetsTheClientsBytesOnly() throws Exception {
        final HeaderEchoServer backend = rig.track(new HeaderEchoServer());
        start(AcceptProxy.DISABLED, server("s", backend.address(), SendProxy.NONE));
        try (Socket s = connectFrom("127.0.0.2")) {
            s.getOutputStream().write("x".getBytes(StandardCharsets.US_ASCII));
            assertThat(readLine(s)).isEqualTo("no header");
        }
    }

    @Test
    void aConnectRetriedOnAnotherServerSendsThatServerTheHeader() throws Exception {
        final HeaderEchoServer backend = rig.track(new HeaderEchoServer());
        start(AcceptProxy.DISABLED, server("dead", TcpServers.refusingAddress(), SendProxy.V2),
            server("live", backend.address(), SendProxy.V2));
        for (int i = 0; i < 4; i++) { // round robin starts at either: some of these try the dead one first
            try (Socket s = connectFrom("127.0.0.2")) {
                assertThat(readLine(s)).isEqualTo(HeaderEchoServer.line(local(s), lb.localAddress("front"), 2));
                assertThat(echo(s, "after a retry")).isEqualTo("after a retry");
            }
        }
        assertThat(counters().connectFailures()).isPositive();
    }

    // ------------------------------------------------------------------------------------------------ accept

    @Test
    void aTrustedPeersHeaderMakesItsSourceTheClientAddressEverywhere() throws Exception {
        final HeaderEchoServer backend = rig.track(new HeaderEchoServer());
        start(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.2/32"))), server("s", backend.address(), SendProxy.V1));
        final InetSocketAddress client = new InetSocketAddress("203.0.113.7", 40000);
        final InetSocketAddress dialled = new InetSocketAddress("198.51.100.1", 443);
        try (Socket s = connectFrom("127.0.0.2")) {
            // header and first bytes in one segment: the bytes after the header are relayed, not lost
            s.getOutputStream().write(concat(ProxyHeaderEncoder.v2(client, dialled, ProxyHeader.Transport.STREAM),
                "early bytes"));
            assertThat(readLine(s)).isEqualTo(HeaderEchoServer.line(client, dialled, 1));
            assertThat(new String(s.getInputStream().readNBytes(11), StandardCharsets.US_ASCII)).isEqualTo("early bytes");
            final List<SessionInfo> sessions = lb.sessions();
            assertThat(sessions).extracting(SessionInfo::client).containsExactly(client);
        }
        assertThat(counters().proxyHeaders()).isEqualTo(1);
    }

    @Test
    void theBytesRightAfterTheHeaderReachAServerWithoutSendProxyFirst() throws Exception {
        final EchoServer backend = rig.track(new EchoServer());
        start(AcceptProxy.fromAnyPeer(), server("s", backend.address(), SendProxy.NONE));
        try (Socket s = connectFrom("127.0.0.2")) {
            s.getOutputStream().write("PROXY TCP4 192.0.2.1 192.0.2.2 1234 80\r\nGET / HTTP/1.0\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readNBytes(18), StandardCharsets.US_ASCII))
                .isEqualTo("GET / HTTP/1.0\r\n\r\n");
            assertThat(echo(s, "and on")).isEqualTo("and on");
        }
    }

    @Test
    void aHeaderArrivingInPiecesIsAssembled() throws Exception {
        final HeaderEchoServer backend = rig.track(new HeaderEchoServer());
        start(AcceptProxy.fromAnyPeer(), server("s", backend.address(), SendProxy.V2));
        final InetSocketAddress client = new InetSocketAddress("2001:db8::7", 5000);
        final InetSocketAddress dialled = new InetSocketAddress("2001:db8::1", 80);
        final byte[] header = bytes(ProxyHeaderEncoder.v2(client, dialled, ProxyHeader.Transport.STREAM));
        try (Socket s = connectFrom("127.0.0.2")) {
            s.setTcpNoDelay(true);
            for (final byte b : header) {
                s.getOutputStream().write(b);
                s.getOutputStream().flush();
                Thread.sleep(2); // the behaviour: a header that arrives a byte at a time
            }
            assertThat(readLine(s)).isEqualTo(HeaderEchoServer.line(client, dialled, 2));
        }
    }

    @Test
    void aLocalHeaderLeavesTheConnectionsOwnAddress() throws Exception {
        final HeaderEchoServer backend = rig.track(new HeaderEchoServer());
        start(AcceptProxy.fromAnyPeer(), server("s", backend.address(), SendProxy.V1));
        try (Socket s = connectFrom("127.0.0.3")) {
            s.getOutputStream().write(bytes(ProxyHeaderEncoder.v2Local()));
            assertThat(readLine(s)).isEqualTo(HeaderEchoServer.line(local(s), lb.localAddress("front"), 1));
        }
    }

    @Test
    void aPeerOutsideTheTrustedSourcesIsServedDirectlyAndCannotClaimAnotherAddress() throws Exception {
        final HeaderEchoServer backend = rig.track(new HeaderEchoServer());
        start(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.2/32"))), server("s", backend.address(), SendProxy.V1));
        try (Socket s = connectFrom("127.0.0.3")) {
            final String spoof = "PROXY TCP4 10.9.9.9 10.9.9.8 1 2\r\n";
            s.getOutputStream().write(spoof.getBytes(StandardCharsets.US_ASCII));
            // the server hears niolb's header with the real address, then the spoof attempt as plain bytes
            assertThat(readLine(s)).isEqualTo(HeaderEchoServer.line(local(s), lb.localAddress("front"), 1));
            assertThat(readLine(s)).isEqualTo("PROXY TCP4 10.9.9.9 10.9.9.8 1 2\r");
        }
        assertThat(counters().get(ListenerCounters.PROXY_DIRECT)).isEqualTo(1);
        assertThat(counters().proxyHeaders()).isZero();
    }

    @Test
    void anEmptyTrustedListServesEveryPeerAsADirectClient() throws Exception {
        final EchoServer backend = rig.track(new EchoServer());
        start(AcceptProxy.from(CidrSet.EMPTY), server("s", backend.address(), SendProxy.NONE));
        try (Socket s = connectFrom("127.0.0.2")) {
            assertThat(echo(s, "hello\n")).isEqualTo("hello\n");
        }
        assertThat(counters().get(ListenerCounters.PROXY_DIRECT)).isEqualTo(1);
        assertThat(counters().get(ListenerCounters.PROXY_MALFORMED)).isZero();
    }

    @Test
    void sourceHashingSeesTheDecodedAddress() throws Exception {
        final List<HeaderEchoServer> backends = new ArrayList<>();
        final List<ServerConfig> servers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            final HeaderEchoServer b = rig.track(new HeaderEchoServer());
            backends.add(b);
            servers.add(server("s" + i, b.address(), SendProxy.NONE));
        }
        start(AcceptProxy.fromAnyPeer(), Algorithm.SOURCE, servers.toArray(ServerConfig[]::new));
        final Set<Integer> spread = new HashSet<>();
        for (int c = 1; c <= 24; c++) {
            final String clientIp = "198.51.100." + c;
            final int viaFirst = serverIndexFor(clientIp, "127.0.0.2", backends);
            final int viaSecond = serverIndexFor(clientIp, "127.0.0.3", backends);
            assertThat(viaSecond).as("client %s through two proxies", clientIp).isEqualTo(viaFirst);
            spread.add(viaFirst);
        }
        assertThat(spread).as("decoded clients spread over the servers, not hashed by proxy").hasSizeGreaterThan(1);
    }

    /** Which backend a client address (sent in a header from {@code proxyIp}) lands on. */
    private int serverIndexFor(final String clientIp, final String proxyIp, final List<HeaderEchoServer> backends)
        throws Exception {
        final int[] before = backends.stream().mapToInt(HeaderEchoServer::accepted).toArray();
        try (Socket s = connectFrom(proxyIp)) {
            s.getOutputStream().write(("PROXY TCP4 " + clientIp + " 127.0.0.1 1000 80\r\nx")
                .getBytes(StandardCharsets.US_ASCII));
            assertThat(readLine(s)).isEqualTo("no header");
        }
        for (int i = 0; i < backends.size(); i++) {
            if (backends.get(i).accepted() > before[i]) {
                return i;
            }
        }
        throw new AssertionError("no backend accepted");
    }

    // ---------------------------------------------------------------------------------------- bad headers

    @Test
    void aMalformedHeaderClosesThatConnectionOnlyAndIsCounted() throws Exception {
        final EchoServer backend = rig.track(new EchoServer());
        start(AcceptProxy.fromAnyPeer(), server("s", backend.address(), SendProxy.NONE));
        try (Socket healthy = connectFrom("127.0.0.2")) {
            healthy.getOutputStream().write("PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(echo(healthy, "before")).isEqualTo("before");
            try (Socket bad = connectFrom("127.0.0.3")) {
                bad.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(endOf(bad)).isTrue();
            }
            try (Socket bad = connectFrom("127.0.0.3")) {
                bad.getOutputStream().write("PROXY TCP4 1.2.3.4 ::1 1 2\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(endOf(bad)).isTrue();
            }
            assertThat(echo(healthy, "after")).isEqualTo("after");
        }
        Await.until(() -> counters().get(ListenerCounters.PROXY_MALFORMED) == 2
            && counters().terminated(Termination.PROXY_HEADER) == 2, 2000);
        assertThat(backend.accepted()).isEqualTo(1); // no server ever saw the bad ones
    }

    @Test
    void aUdpClientsV2HeaderOnATcpConnectionLeavesThePeersOwnAddress() throws Exception {
        final HeaderEchoServer backend = rig.track(new HeaderEchoServer());
        start(AcceptProxy.fromAnyPeer(), server("s", backend.address(), SendProxy.V1));
        try (Socket s = connectFrom("127.0.0.2")) {
            s.getOutputStream().write(bytes(ProxyHeaderEncoder.v2(new InetSocketAddress("10.1.1.1", 1),
                new InetSocketAddress("10.2.2.2", 2), ProxyHeader.Transport.DGRAM)));

            assertThat(readLine(s)).isEqualTo(HeaderEchoServer.line(local(s), lb.localAddress("front"), 1));
            assertThat(echo(s, "hello")).isEqualTo("hello");
        }
    }

    @Test
    void everyRefusedHeaderIsLoggedOrCountedInALineExactlyOnce() throws Exception {
        final EchoServer backend = rig.track(new EchoServer());
        start(AcceptProxy.fromAnyPeer(), server("s", backend.address(), SendProxy.NONE));
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of(TcpListener.class.getName())) {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            int refused = 0;
            while (lines(log, "PROXY protocol header refused: ").size() < 2) { // a line, some left out, the next
                assertThat(System.nanoTime()).as("a second line: %s", log.messages()).isLessThan(deadline);
                try (Socket bad = connectFrom("127.0.0.3")) {
                    bad.getOutputStream().write("PROXY TCP4 1.2.3.4\r\n".getBytes(StandardCharsets.US_ASCII));
                    assertThat(endOf(bad)).isTrue();
                }
                refused++;
            }

            assertThat(lines(log, "PROXY protocol header refused: ").getFirst()).doesNotContain("more since");
            // those left out are said by the next line ("(N more since the last one logged, not logged)") or, when
            // none came in time, by a line of their own ("N more PROXY headers refused ..."): each once
            final int made = refused;
            dev.niolb.testing.Await.until(() -> said(log) == made, 10_000);
            assertThat(log.messages()).allMatch(m -> m.contains("PROXY protocol header refused: ")
                || m.matches("listener front: \\d+ more PROXY headers? refused since the last one logged, not logged one by one"));
        }
    }

    /** The log's lines that contain {@code text}. */
    private static List<String> lines(final dev.niolb.testing.LogCapture log, final String text) {
        return log.messages().stream().filter(m -> m.contains(text)).toList();
    }

    /** The refusals the log has said: a line each, and the counts of those left out. */
    private static long said(final dev.niolb.testing.LogCapture log) {
        long said = 0;
        for (final String m : log.messages()) {
            final java.util.regex.Matcher counted = java.util.regex.Pattern
                .compile("(?:\\((\\d+) more since the last one logged|^listener front: (\\d+) more PROXY headers)")
                .matcher(m);
            if (m.contains("PROXY protocol header refused: ")) {
                said++;
            }
            if (counted.find()) {
                said += Long.parseLong(counted.group(1) != null ? counted.group(1) : counted.group(2));
            }
        }
        return said;
    }

    @Test
    void anOversizedHeaderIsRefusedAsSoonAsItIsTooLong() throws Exception {
        final EchoServer backend = rig.track(new EchoServer());
        start(AcceptProxy.fromAnyPeer().withMaxHeaderLength(1024), server("s", backend.address(), SendProxy.NONE));
        try (Socket bad = connectFrom("127.0.0.2")) { // v1 without CRLF in 107 bytes
            bad.getOutputStream().write(("PROXY UNKNOWN " + "x".repeat(120)).getBytes(StandardCharsets.US_ASCII));
            assertThat(endOf(bad)).isTrue();
        }
        try (Socket bad = connectFrom("127.0.0.2")) { // v2 announcing 2000 bytes: refused before they come
            final ByteBuffer fixed = ByteBuffer.allocate(16).put(bytes(ProxyHeaderEncoder.v2Local()), 0, 14)
                .putShort((short) 2000);
            bad.getOutputStream().write(fixed.array());
            assertThat(endOf(bad)).isTrue();
        }
        Await.until(() -> counters().get(ListenerCounters.PROXY_OVERSIZE) == 2, 2000);
    }

    @Test
    void aLongV2HeaderWithinTheBoundIsRead() throws Exception {
        final HeaderEchoServer backend = rig.track(new HeaderEchoServer());
        start(AcceptProxy.fromAnyPeer(), server("s", backend.address(), SendProxy.V2));
        final InetSocketAddress client = new InetSocketAddress("192.0.2.9", 9);
        final ByteBuffer plain = ProxyHeaderEncoder.v2(client, new InetSocketAddress("192.0.2.1", 1),
            ProxyHeader.Transport.STREAM);
        // the same header with a 1,000-byte NOOP TLV: longer than the reader's first buffer
        final ByteBuffer big = ByteBuffer.allocate(plain.remaining() + 1003).put(plain.duplicate());
        big.putShort(14, (short) (12 + 1003));
        big.put((byte) 0x04).putShort((short) 1000).put(new byte[1000]).flip();
        try (Socket s = connectFrom("127.0.0.2")) {
            s.getOutputStream().write(concat(big, "tail"));
            assertThat(readLine(s)).isEqualTo(HeaderEchoServer.line(client, new InetSocketAddress("192.0.2.1", 1), 2));
            assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("tail");
        }
    }

    @Test
    void aHeaderNotCompleteWithinTheTimeoutClosesThatConnectionOnly() throws Exception {
        final EchoServer backend = rig.track(new EchoServer());
        start(AcceptProxy.fromAnyPeer().withHeaderTimeout(Duration.ofMillis(300)),
            server("s", backend.address(), SendProxy.NONE));
        try (Socket healthy = connectFrom("127.0.0.2");
             Socket slow = connectFrom("127.0.0.3")) {
            healthy.getOutputStream().write("PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII));
            slow.getOutputStream().write("PROXY TCP4 1.2.".getBytes(StandardCharsets.US_ASCII));
            final long start = System.nanoTime();
            for (int i = 0; i < 5; i++) { // the healthy one flows the whole time
                assertThat(echo(healthy, "tick" + i)).isEqualTo("tick" + i);
                Thread.sleep(100); // the behaviour: the healthy client talks across the slow one's 300 ms timeout
            }
            assertThat(endOf(slow)).isTrue();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(250);
            assertThat(echo(healthy, "still")).isEqualTo("still");
        }
        Await.until(() -> counters().get(ListenerCounters.PROXY_TIMEOUT) == 1, 2000);
    }

    @Test
    void aPeerThatClosesBeforeItsHeaderEndsIsCountedIncompleteNotRefused() throws Exception {
        final EchoServer backend = rig.track(new EchoServer());
        start(AcceptProxy.fromAnyPeer(), server("s", backend.address(), SendProxy.NONE));
        try (Socket s = connectFrom("127.0.0.2")) {
            s.getOutputStream().write("PROXY TCP".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            assertThat(endOf(s)).isTrue();
        }
        Await.until(() -> counters().get(ListenerCounters.PROXY_INCOMPLETE) == 1
            && counters().terminated(Termination.CLIENT_CLOSE) == 1 && counters().active() == 0, 2000);
        assertThat(counters().proxyHeaderErrors()).as("rejected_total{reason=proxy_header}: it closed, nothing refused")
            .isZero();
    }

    @Test
    void aTrustedPeerThatSendsNoHeaderIsRefused() throws Exception {
        final EchoServer backend = rig.track(new EchoServer());
        start(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.2/32"))), server("s", backend.address(), SendProxy.NONE));
        try (Socket s = connectFrom("127.0.0.2")) {
            s.getOutputStream().write("hello\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(endOf(s)).isTrue();
        }
        Await.until(() -> counters().get(ListenerCounters.PROXY_MALFORMED) == 1, 2000);
        assertThat(backend.accepted()).isZero();
    }

    // --------------------------------------------------------------------------------------------- helpers

    private static InetSocketAddress local(final Socket s) {
        return (InetSocketAddress) s.getLocalSocketAddress();
    }

    private static String echo(final Socket s, final String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        return new String(s.getInputStream().readNBytes(text.length()), StandardCharsets.US_ASCII);
    }

    /** One line, without its LF (and without a CR before it). */
    static String readLine(final Socket s) throws IOException {
        final InputStream in = s.getInputStream();
        final StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        return line.toString();
    }

    /** Whether the connection ends (end of stream or reset) within the socket's timeout, with no bytes first. */
    private static boolean endOf(final Socket s) throws IOException {
        try {
            return s.getInputStream().read() < 0;
        } catch (final SocketException reset) {
            return true;
        }
    }

    private static byte[] bytes(final ByteBuffer b) {
        final byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static byte[] concat(final ByteBuffer header, final String text) {
        final byte[] h = bytes(header);
        final byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        final byte[] out = new byte[h.length + t.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(t, 0, out, h.length, t.length);
        return out;
    }
}
