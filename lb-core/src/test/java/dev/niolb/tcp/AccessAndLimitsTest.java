package dev.niolb.tcp;

import dev.niolb.LoadBalancer;
import dev.niolb.admission.Admission;
import dev.niolb.admission.CidrSet;
import dev.niolb.admission.OpenFileLimit;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ListenerLimits;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.SourceRate;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.session.Termination;
import dev.niolb.testing.Await;
import dev.niolb.backend.Server;
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
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Access lists, maxconn (listener, global, server) and per-source limits end to end: real sockets on loopback,
 * clients from distinct source addresses (127.0.0.2, 127.0.0.3 …), real echo servers.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EveryTransport
class AccessAndLimitsTest {
    private static final String A = "127.0.0.2";
    private static final String B = "127.0.0.3";

    @RegisterExtension
    final EngineRig rig;
    private LoadBalancer lb;

    AccessAndLimitsTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    private static ListenerConfig listener(final String name, final ListenerLimits limits) {
        return new ListenerConfig(name, Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS)
            .withLimits(limits);
    }

    private void start(final int threads, final ListenerLimits limits, final ServerConfig... servers) throws IOException {
        lb = rig.start(Config.single(threads, Duration.ofSeconds(5), listener("front", limits),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(servers))));
    }

    private ListenerCounters counters() {
        return lb.listener("front").counters();
    }

    private Socket connect(final String listener, final String from) throws IOException {
        final Socket s = rig.track(new Socket());
        s.bind(new InetSocketAddress(from, 0));
        s.connect(lb.localAddress(listener), 2000);
        s.setSoTimeout(5_000);
        return s;
    }

    private Socket connect(final String from) throws IOException {
        return connect("front", from);
    }

    /** One byte there and back through niolb and the echo server. */
    private static void roundTrip(final Socket s, final char c) throws IOException {
        s.getOutputStream().write(c);
        assertThat(s.getInputStream().read()).isEqualTo((int) c);
    }

    /** Whether bytes written now come back within {@code ms}: false when niolb has not taken the client yet. */
    private static boolean servedWithin(final Socket s, final int ms) throws IOException {
        s.setSoTimeout(ms);
        try {
            return s.getInputStream().read() >= 0;
        } catch (final SocketTimeoutException e) {
            return false;
        } finally {
            s.setSoTimeout(5_000);
        }
    }

    private static ServerConfig server(final EchoServer echo) {
        return new ServerConfig("s", echo.address(), 1);
    }

    /**
     * A client from {@code from} is reset by niolb: on loopback the reset may come so soon that the client's own
     * connect reports it, else its first read does.
     */
    private void assertRefused(final String from) {
        assertThatThrownBy(() -> connect(from).getInputStream().read()).isInstanceOf(SocketException.class)
            .hasMessageContaining("reset");
    }

    // ------------------------------------------------------------------------------------------------ ACL

    @Test
    void aDeniedSourceIsResetAtAcceptAndCountedWhileOthersAreServed() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(2, ListenerLimits.NONE.withAccess(CidrSet.EMPTY, CidrSet.parse(List.of(A + "/32"))), server(echo));

        assertRefused(A);
        roundTrip(connect(B), 'b');

        Await.until(() -> counters().rejected(Admission.Verdict.ACL) == 1, 2000);
        assertThat(echo.accepted()).isEqualTo(1); // the denied client never reached a server
        assertThat(counters().accepted()).isEqualTo(1);
    }

    @Test
    void withAnAllowListOnlyItsSourcesAreServed() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(1, ListenerLimits.NONE.withAccess(CidrSet.parse(List.of(B + "/32", "::1/128")), CidrSet.EMPTY),
            server(echo));

        roundTrip(connect(B), 'b');
        assertRefused(A);
        assertRefused("127.0.0.1");

        Await.until(() -> counters().rejected(Admission.Verdict.ACL) == 2, 2000);
    }

    // ------------------------------------------------------------------------------------------- reload

    /** The running config with new limits for its one listener. */
    private Config withLimits(final ListenerLimits limits) {
        final Config c = lb.config();
        return new Config(c.threads(), c.grace(), List.of(c.listeners().getFirst().withLimits(limits)), c.groups(),
            c.dns(), c.maxconn()).withTransport(c.transport());
    }

    @Test
    void aReloadChangesTheAccessListForNewClientsWhileOpenOnesGoOn() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(2, ListenerLimits.NONE, server(echo));
        final Socket open = connect(A);
        roundTrip(open, 'a');

        assertThat(lb.reload(withLimits(ListenerLimits.NONE.withAccess(CidrSet.EMPTY,
            CidrSet.parse(List.of(A + "/32"))))).notApplied()).isEmpty();

        assertRefused(A);
        roundTrip(connect(B), 'b');
        roundTrip(open, 'c'); // admitted under the old list: it stays
    }

    @Test
    void aReloadThatLowersTheListenerMaxconnCountsTheOpenConnectionsAndHoldsNewClientsInTheBacklog() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(2, ListenerLimits.NONE.withMaxconn(10), server(echo));
        final Socket first = connect("127.0.0.1");
        roundTrip(first, '1');
        final Socket second = connect("127.0.0.1");
        roundTrip(second, '2');

        lb.reload(withLimits(ListenerLimits.NONE.withMaxconn(1)));
        final Socket third = connect("127.0.0.1");
        third.getOutputStream().write('3');
        assertThat(servedWithin(third, 700)).as("two open over a cap of one: nobody new").isFalse();

        first.close();
        assertThat(servedWithin(third, 700)).as("still one open, the cap").isFalse();
        second.close();
        assertThat(servedWithin(third, 5_000)).isTrue();
        Await.until(() -> counters().active() == 1, 2000);
        assertThat(lb.listener("front").limit().open()).isEqualTo(1);
    }

    @Test
    void aReloadThatRaisesTheListenerMaxconnServesAClientWaitingInTheBacklogAtOnce() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(2, ListenerLimits.NONE.withMaxconn(1), server(echo));
        roundTrip(connect("127.0.0.1"), '1');
        final Socket waiting = connect("127.0.0.1");
        waiting.getOutputStream().write('2');
        assertThat(servedWithin(waiting, 700)).isFalse();

        lb.reload(withLimits(ListenerLimits.NONE.withMaxconn(2)));

        assertThat(servedWithin(waiting, 5_000)).isTrue();
        final Socket third = connect("127.0.0.1");
        third.getOutputStream().write('3');
        assertThat(servedWithin(third, 700)).as("two open, the new cap").isFalse();
    }

    @Test
    void aReloadThatLowersTheSourceMaxconnCountsWhatTheSourceHasOpen() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(2, ListenerLimits.NONE.withSourceMaxconn(3), server(echo));
        roundTrip(connect(A), 'a');
        roundTrip(connect(A), 'b');

        lb.reload(withLimits(ListenerLimits.NONE.withSourceMaxconn(2)));

        assertRefused(A);
        roundTrip(connect(B), 'c');
    }

    @Test
    void aReloadChangesAServersMaxconnForItsNextPicksAndEachSessionGivesBackWhatItTook() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(1, ListenerLimits.NONE, server(echo).withMaxconn(1));
        final Socket first = connect("127.0.0.1");
        roundTrip(first, '1');
        assertThat(connect("127.0.0.1").getInputStream().read()).isEqualTo(-1); // FULL

        lb.reload(withServer(server(echo))); // no cap: counted by nobody
        final Socket uncounted = connect("127.0.0.1");
        roundTrip(uncounted, '2');
        lb.reload(withServer(server(echo).withMaxconn(2)));
        final Server s = lb.group("g").snapshot().servers()[0];
        assertThat(s.reserved()).isEqualTo(1); // the first session only: the uncounted one took nothing
        roundTrip(connect("127.0.0.1"), '3');
        assertThat(connect("127.0.0.1").getInputStream().read()).isEqualTo(-1);

        first.close();
        uncounted.close();
        Await.until(() -> s.reserved() == 1, 2000); // the third one's place only
    }

    /** The running config with {@code server} as its group's one server. */
    private Config withServer(final ServerConfig server) {
        final Config c = lb.config();
        final TargetGroupConfig g = c.groups().getFirst();
        return new Config(c.threads(), c.grace(), c.listeners(),
            List.of(new TargetGroupConfig(g.name(), g.balance(), List.of(server))), c.dns(), c.maxconn());
    }

    @Test
    void aReloadCannotChangeTheProcessMaxconnAndSaysSo() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        lb = rig.start(Config.single(1, Duration.ofSeconds(5), listener("front", ListenerLimits.NONE),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(server(echo)))).withMaxconn(100));

        assertThat(lb.reload(lb.config().withMaxconn(50)).notApplied())
            .containsExactly("maxconn 50 needs a restart (running 100)");
        assertThat(lb.maxconn().max()).isEqualTo(100);
    }

    @Test
    void theMaxconnFromTheOpenFileLimitLeavesOutTheSocketsOfEveryListenerOnEveryLoop() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        final List<ListenerConfig> listeners = new java.util.ArrayList<>();
        for (int i = 0; i < 60; i++) {
            listeners.add(listener("front" + i, ListenerLimits.NONE));
        }
        final long openBefore = OpenFileLimit.open();
        lb = rig.start(Config.single(2, Duration.ofSeconds(5), listeners.getFirst(),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(server(echo)))).withListeners(listeners));
        // 60 listeners on 2 loops: 120 listening sockets, 60 sessions' worth of descriptors
        assertThat(lb.maxconn().max()).as("sized once they were bound")
            .isLessThanOrEqualTo(OpenFileLimit.connections(OpenFileLimit.limit(), openBefore + 120, 2));

        final int before = lb.maxconn().max();
        final List<ListenerConfig> more = new java.util.ArrayList<>(listeners);
        for (int i = 60; i < 120; i++) {
            more.add(listener("front" + i, ListenerLimits.NONE));
        }
        lb.reload(lb.config().withListeners(more));
        assertThat(lb.maxconn().max()).as("and sized again when a reload binds 120 more").isLessThanOrEqualTo(before - 50);
    }

    @Test
    void withoutAMaxconnTheProcessRunsUnderTheOneItsOpenFileLimitGivesAndAReloadLeavesItAlone() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        lb = rig.start(Config.single(1, Duration.ofSeconds(5), listener("front", ListenerLimits.NONE),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(server(echo)))));
        final int derived = lb.maxconn().max();
        assertThat(derived).as("this JVM's limit, less what is open and the reserve, halved")
            .isCloseTo(OpenFileLimit.connections(OpenFileLimit.limit(), OpenFileLimit.open(), 2), within(64));

        assertThat(lb.reload(lb.config()).notApplied()).as("0 is still 0, not the derived cap").isEmpty();
        assertThat(lb.reload(lb.config().withMaxconn(50)).notApplied())
            .containsExactly("maxconn 50 needs a restart (running " + lb.maxconn().max() + ", from the open-file limit)");
        assertThat(lb.reload(lb.config().withMaxconn(lb.maxconn().max())).summary())
            .as("the cap that runs, written down: no change, neither applied nor to restart for").isEqualTo("no change");
    }

    @Test
    void aReloadWithAFewMoreFilesOpenDoesNotWarnOfTheCapsNiolbDerivedItself() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        final ListenerConfig udp = new ListenerConfig("dns", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g",
            TcpOptions.DEFAULTS, dev.niolb.config.UdpOptions.DEFAULTS);
        lb = rig.start(Config.single(1, Duration.ofSeconds(5), listener("front", ListenerLimits.NONE),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(server(echo))))
            .withListeners(List.of(listener("front", ListenerLimits.NONE), udp)));
        final List<java.nio.channels.FileChannel> held = new java.util.ArrayList<>(); // as admin calls or a log file
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of(LoadBalancer.class.getName())) {
            for (int i = 0; i < 12; i++) {
                held.add(java.nio.channels.FileChannel.open(java.nio.file.Path.of("/dev/null")));
            }

            lb.reload(lb.config());

            assertThat(log.messages()).as("maxconn and udp-max-flows are niolb's own choice, sized to fit")
                .noneMatch(m -> m.contains("need"));
        } finally {
            for (final java.nio.channels.FileChannel c : held) {
                c.close();
            }
        }
    }

    @Test
    void openUdpFlowsAreNotCountedTwiceWhenAReloadSizesMaxconnAgain() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        final dev.niolb.testing.UdpEchoServer udpEcho = rig.track(new dev.niolb.testing.UdpEchoServer("u"));
        final ListenerConfig udp = new ListenerConfig("dns", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "u",
            TcpOptions.DEFAULTS, dev.niolb.config.UdpOptions.DEFAULTS);
        lb = rig.start(new Config(1, Duration.ofSeconds(5), List.of(listener("front", ListenerLimits.NONE), udp),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(server(echo))),
                new TargetGroupConfig("u", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", udpEcho.address(), 1))))));
        final int before = lb.maxconn().max();
        // a flow, a descriptor, for each client port; the clients' own sockets closed again, so that only niolb's
        // count. A closed client's port may come back to a later one, which joins its flow (CI, session 27): the
        // flows are the distinct ports, and more than 32 of them (16 maxconn) are past the slack a reload keeps
        final java.util.Set<Integer> ports = new java.util.HashSet<>();
        for (int i = 0; i < 60; i++) {
            try (dev.niolb.testing.UdpClient client = new dev.niolb.testing.UdpClient(lb.localAddress("dns"))) {
                assertThat(client.ask("q" + i)).isEqualTo("u:q" + i);
                ports.add(client.localAddress().getPort());
            }
        }
        assertThat(ports).hasSizeGreaterThan(40);
        assertThat(lb.udpListener("dns").counters().active()).isEqualTo(ports.size());

        lb.reload(lb.config());

        assertThat(lb.maxconn().max()).as("the flows are in the UDP listener's cap already").isEqualTo(before);
    }

    // ------------------------------------------------------------------------------ behind a PROXY header

    /** A listener that trusts 127.0.0.1 as a proxy, with {@code limits}. */
    private void startBehindProxy(final ListenerLimits limits, final EchoServer echo) throws IOException {
        lb = rig.start(Config.single(1, Duration.ofSeconds(5),
            listener("front", limits).withAcceptProxy(AcceptProxy.from(CidrSet.parse(List.of("127.0.0.1/32")))),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(server(echo)))));
    }

    /** A connection from the trusted proxy (127.0.0.1) that says it carries {@code client}. */
    private Socket viaProxy(final String client) throws IOException {
        final Socket s = connect("127.0.0.1");
        s.getOutputStream().write(("PROXY TCP4 " + client + " 127.0.0.1 40000 80\r\n").getBytes(
            java.nio.charset.StandardCharsets.US_ASCII));
        return s;
    }

    @Test
    void behindATrustedProxyTheAccessListJudgesTheClientTheHeaderNamesNotTheProxy() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        // the proxy's own address is denied too: it must not matter, only the client in the header does
        startBehindProxy(ListenerLimits.NONE.withAccess(CidrSet.EMPTY,
            CidrSet.parse(List.of("203.0.113.0/24", "127.0.0.1/32"))), echo);

        roundTrip(viaProxy("198.51.100.7"), 'a');
        final Socket denied = viaProxy("203.0.113.9");
        assertThatThrownBy(() -> denied.getInputStream().read()).isInstanceOf(SocketException.class)
            .hasMessageContaining("reset");

        Await.until(() -> counters().rejected(Admission.Verdict.ACL) == 1, 2000);
        Await.until(() -> counters().terminated(Termination.REJECTED) == 1, 2000);
        assertThat(echo.accepted()).isEqualTo(1);
    }

    @Test
    void aTrustedProxysOwnConnectionWhoseHeaderNamesNoClientIsNotJudgedByAnAllowListOfClients() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        // clients are allowed from 198.51.100.0/24 only; the proxy's health checks (LOCAL, UNKNOWN) name none
        startBehindProxy(ListenerLimits.NONE.withAccess(CidrSet.parse(List.of("198.51.100.0/24")), CidrSet.EMPTY),
            echo);

        final Socket local = connect("127.0.0.1");
        local.getOutputStream().write(dev.niolb.proxyprotocol.ProxyHeaderEncoder.v2Local().array());
        roundTrip(local, 'a');
        final Socket unknown = connect("127.0.0.1");
        unknown.getOutputStream().write("PROXY UNKNOWN\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        roundTrip(unknown, 'b');
        final Socket outside = viaProxy("203.0.113.9"); // a client the header names is still judged
        assertThatThrownBy(() -> outside.getInputStream().read()).isInstanceOf(SocketException.class);
        Await.until(() -> counters().rejected(Admission.Verdict.ACL) == 1, 2000);
    }

    @Test
    void aTrustedProxyTheDenyListNamesIsRefusedItsOwnConnectionsWhileTheClientsItCarriesAreJudgedThemselves()
        throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        startBehindProxy(ListenerLimits.NONE.withAccess(CidrSet.EMPTY, CidrSet.parse(List.of("127.0.0.1/32"))), echo);

        final Socket local = connect("127.0.0.1");
        local.getOutputStream().write(dev.niolb.proxyprotocol.ProxyHeaderEncoder.v2Local().array());
        assertThatThrownBy(() -> local.getInputStream().read()).isInstanceOf(SocketException.class);
        roundTrip(viaProxy("198.51.100.7"), 'a'); // a client it names: judged by its own address
        Await.until(() -> counters().rejected(Admission.Verdict.ACL) == 1, 2000);
    }

    @Test
    void behindATrustedProxyPerSourceLimitsCountTheClientsTheHeadersName() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        startBehindProxy(ListenerLimits.NONE.withSourceMaxconn(1), echo);
        final Socket first = viaProxy("198.51.100.7");
        roundTrip(first, 'a');

        final Socket second = viaProxy("198.51.100.7");
        assertThatThrownBy(() -> second.getInputStream().read()).isInstanceOf(SocketException.class);
        roundTrip(viaProxy("198.51.100.8"), 'b'); // another client behind the same proxy has its own count
        Await.until(() -> counters().rejected(Admission.Verdict.SOURCE_LIMIT) == 1, 2000);

        first.close();
        final java.net.InetAddress client = java.net.InetAddress.getByName("198.51.100.7");
        Await.until(() -> lb.listener("front").admission().sources().open(client) == 0, 2000);
        roundTrip(viaProxy("198.51.100.7"), 'c');
    }

    // -------------------------------------------------------------------------------------------- maxconn

    @Test
    void theSixthClientWaitsInTheBacklogUntilOneOfTheFirstFiveClosesThenIsServed() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(2, ListenerLimits.NONE.withMaxconn(5), server(echo));
        final List<Socket> first = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            final Socket s = connect("127.0.0.1");
            roundTrip(s, (char) ('0' + i));
            first.add(s);
        }

        final Socket sixth = connect("127.0.0.1"); // the kernel completes the handshake: it is in the backlog
        sixth.getOutputStream().write('6');
        assertThat(servedWithin(sixth, 700)).as("served while five are open").isFalse();
        assertThat(echo.accepted()).isEqualTo(5);
        assertThat(counters().maxconnPauses()).isPositive();

        first.get(2).close();
        assertThat(servedWithin(sixth, 5_000)).as("served once one of the five closed").isTrue();
        roundTrip(first.get(0), 'x'); // the others never noticed
        assertThat(counters().active()).isEqualTo(5);
    }

    @Test
    void aPauseAtTheListenerMaxconnCountsInThePausedTimeWhileItLastsNotOnlyOnceItEnds() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(1, ListenerLimits.NONE.withMaxconn(1), server(echo));
        final Socket held = connect("127.0.0.1");
        roundTrip(held, '1');
        final Socket waiting = connect("127.0.0.1");
        waiting.getOutputStream().write('2');

        // a dashboard graphs the rate: an hour's pause must not read 0 for the hour and then an hour at once
        Await.until(() -> lb.listener("front").maxconnPausedMs() >= 300, 5_000);
        assertThat(counters().maxconnPausesEndedMs()).as("the pause has not ended").isZero();
        final long during = lb.listener("front").maxconnPausedMs();

        held.close();
        assertThat(servedWithin(waiting, 5_000)).isTrue();
        Await.until(() -> counters().maxconnPausesEndedMs() > 0, 5_000);
        assertThat(lb.listener("front").maxconnPausedMs()).as("never less than it said")
            .isGreaterThanOrEqualTo(during).isGreaterThanOrEqualTo(counters().maxconnPausesEndedMs());
    }

    @Test
    void theGlobalMaxconnCountsEveryListenerAndRoomOnOneWakesAnother() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        lb = rig.start(new Config(2, Duration.ofSeconds(5),
            List.of(listener("a", ListenerLimits.NONE), listener("b", ListenerLimits.NONE)),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(server(echo))))).withMaxconn(3));
        final Socket a1 = connect("a", "127.0.0.1");
        final Socket a2 = connect("a", "127.0.0.1");
        final Socket b1 = connect("b", "127.0.0.1");
        roundTrip(a1, '1');
        roundTrip(a2, '2');
        roundTrip(b1, '3');

        final Socket b2 = connect("b", "127.0.0.1");
        b2.getOutputStream().write('4');
        assertThat(servedWithin(b2, 700)).isFalse();
        assertThat(lb.maxconn().open()).isEqualTo(3);

        a1.close();
        assertThat(servedWithin(b2, 5_000)).isTrue();
    }

    @Test
    void aServerAtItsMaxconnGetsNoNewSessionsWhileAnotherHasRoom() throws Exception {
        final EchoServer capped = rig.track(new EchoServer());
        final EchoServer open = rig.track(new EchoServer());
        start(2, ListenerLimits.NONE, new ServerConfig("capped", capped.address(), 1).withMaxconn(1),
            new ServerConfig("open", open.address(), 1));

        for (int i = 0; i < 6; i++) {
            roundTrip(connect("127.0.0.1"), 'x');
        }

        assertThat(capped.accepted()).isEqualTo(1);
        assertThat(open.accepted()).isEqualTo(5);
    }

    @Test
    void whenEveryServerIsAtItsMaxconnANewClientIsClosedAndCountedAsFull() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(1, ListenerLimits.NONE, new ServerConfig("s", echo.address(), 1).withMaxconn(1));
        final Socket first = connect("127.0.0.1");
        roundTrip(first, 'a');

        final Socket second = connect("127.0.0.1");
        assertThat(second.getInputStream().read()).isEqualTo(-1);
        Await.until(() -> counters().terminated(Termination.FULL) == 1, 2000);

        first.close();
        Await.until(() -> lb.group("g").snapshot().servers()[0].active() == 0, 2000);
        roundTrip(connect("127.0.0.1"), 'c'); // its place is free again
    }

    // ----------------------------------------------------------------------------------------- per source

    @Test
    void aSourceAtItsConnectionLimitIsRefusedWhileAnotherSourceIsServed() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        start(2, ListenerLimits.NONE.withSourceMaxconn(2), server(echo));
        final Socket a1 = connect(A);
        final Socket a2 = connect(A);
        roundTrip(a1, '1');
        roundTrip(a2, '2');

        assertRefused(A);
        roundTrip(connect(B), 'b');
        roundTrip(connect(B), 'c');
        Await.until(() -> counters().rejected(Admission.Verdict.SOURCE_LIMIT) == 1, 2000);

        a1.close();
        Await.until(() -> lb.listener("front").admission().sources().open(a2.getLocalAddress()) == 1, 2000);
        roundTrip(connect(A), '3'); // one of its places was given back
    }

    @Test
    void aSourceOverItsRateIsRefusedUntilItsBucketRefills() throws Exception {
        final EchoServer echo = rig.track(new EchoServer());
        // one a second with a burst of 2: two at once, then one a second (slow, so that a loaded machine keeps up)
        start(2, ListenerLimits.NONE.withSourceRate(SourceRate.parse("1/s,burst=2")), server(echo));

        roundTrip(connect(A), '1');
        roundTrip(connect(A), '2');
        assertRefused(A);
        roundTrip(connect(B), 'b'); // another source has its own bucket

        Thread.sleep(1_100); // the behaviour: the bucket refills at one a second
        roundTrip(connect(A), '3');
        assertThat(counters().rejected(Admission.Verdict.SOURCE_RATE)).isEqualTo(1);
    }
}
