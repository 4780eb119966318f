package dev.niolb.udp;

import dev.niolb.LoadBalancer;
import dev.niolb.admin.EngineStats;
import dev.niolb.admission.CidrSet;
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
import dev.niolb.config.UdpOptions;
import dev.niolb.proxyprotocol.ProxyHeader;
import dev.niolb.proxyprotocol.ProxyHeaderEncoder;
import dev.niolb.reload.ReloadResult;
import dev.niolb.testing.Await;
import dev.niolb.testing.ChannelClient;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.UdpEchoServer;
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
 * {@code source-maxconn} and {@code source-rate} on a UDP listener: a client IP over its limit gets no new flow
 * (its datagram is dropped and counted), its flows already open go on, and other clients are not affected.
 * Distinct client sources are distinct loopback addresses; several channels on one address are one source.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class UdpSourceLimitsTest {
    private static final String FRONT = "front";

    @RegisterExtension
    final EngineRig rig;
    private UdpEchoServer echo;
    private LoadBalancer lb;

    UdpSourceLimitsTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    /** {@code next} applied to the running niolb, on its transport (a change of transport would need a restart). */
    private ReloadResult reload(final Config next) throws IOException {
        return lb.reload(rig.withTransport(next));
    }

    private void start(final ListenerLimits limits, final UdpOptions udp) throws Exception {
        start(limits, udp, AcceptProxy.DISABLED);
    }

    private void start(final ListenerLimits limits, final UdpOptions udp, final AcceptProxy proxy) throws Exception {
        echo = new UdpEchoServer("s");
        rig.track(echo);
        lb = rig.start(config(limits, udp, proxy));
    }

    private Config config(final ListenerLimits limits, final UdpOptions udp, final AcceptProxy proxy) {
        return Config.single(2, Duration.ofSeconds(1),
            new ListenerConfig(FRONT, Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS,
                udp, proxy).withLimits(limits),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", echo.address(), 1))));
    }

    private ChannelClient client(final String host) throws Exception {
        final ChannelClient c = new ChannelClient(lb.localAddress(FRONT), host);
        rig.track(c);
        return c;
    }

    private UdpListenerCounters counters() {
        return lb.udpListener(FRONT).counters();
    }

    @Test
    void aClientAtItsFlowLimitGetsNoNewFlowWhileItsOpenFlowsAndASecondClientAreServed() throws Exception {
        start(ListenerLimits.NONE.withSourceMaxconn(2), UdpOptions.DEFAULTS);
        final ChannelClient first = client("127.0.0.2");
        final ChannelClient second = client("127.0.0.2");
        final ChannelClient third = client("127.0.0.2");
        assertThat(first.ask("one")).isEqualTo("s:one");
        assertThat(second.ask("two")).isEqualTo("s:two");

        third.send("three");
        Await.until(() -> counters().get(UdpListenerCounters.DROPPED_SOURCE_LIMIT) == 1, 2000);
        assertThat(third.receive(200)).isNull();
        assertThat(first.ask("on")).as("a flow already open goes on").isEqualTo("s:on");
        assertThat(client("127.0.0.3").ask("other")).as("another client IP").isEqualTo("s:other");

        assertThat(counters().flows()).isEqualTo(3);
        assertThat(counters().get(UdpListenerCounters.DROPPED_SOURCE_LIMIT)).isEqualTo(1);
        assertThat(counters().get(UdpListenerCounters.DROPPED_SOURCE_RATE)).isZero();
        assertThat(echo.received()).isEqualTo(4);
        assertThat(EngineStats.take(lb).listeners().getFirst().dropped())
            .as("the admin API's stats and metrics").containsEntry("source_limit", 1L).containsEntry("source_rate", 0L);
    }

    @Test
    void aClientOverItsNewFlowRateGetsNoNewFlowWhileASecondClientIsServed() throws Exception {
        // two flows at once, then one a minute: the third within the test is over the rate
        start(ListenerLimits.NONE.withSourceRate(SourceRate.parse("1/m,burst=2")), UdpOptions.DEFAULTS);
        assertThat(client("127.0.0.2").ask("one")).isEqualTo("s:one");
        assertThat(client("127.0.0.2").ask("two")).isEqualTo("s:two");

        final ChannelClient third = client("127.0.0.2");
        third.send("three");
        Await.until(() -> counters().get(UdpListenerCounters.DROPPED_SOURCE_RATE) == 1, 2000);
        assertThat(third.receive(200)).isNull();
        assertThat(client("127.0.0.3").ask("other")).as("another client IP").isEqualTo("s:other");

        assertThat(counters().flows()).isEqualTo(3);
        assertThat(counters().get(UdpListenerCounters.DROPPED_SOURCE_RATE)).isEqualTo(1);
        assertThat(counters().get(UdpListenerCounters.DROPPED_SOURCE_LIMIT)).isZero();
    }

    @Test
    void aReloadKeepsTheCountOfFlowsOpenAlsoWhenItChangesTheCap() throws Exception {
        final ListenerLimits one = ListenerLimits.NONE.withSourceMaxconn(1);
        start(one, UdpOptions.DEFAULTS);
        assertThat(client("127.0.0.2").ask("one")).isEqualTo("s:one");

        // another idle timeout, the same limits: the open flow still counts, a second one is refused
        reload(config(one, UdpOptions.DEFAULTS.withIdleTimeout(Duration.ofSeconds(20)), AcceptProxy.DISABLED));
        final ChannelClient second = client("127.0.0.2");
        second.send("refused");
        Await.until(() -> counters().get(UdpListenerCounters.DROPPED_SOURCE_LIMIT) == 1, 2000);
        assertThat(second.receive(200)).isNull();

        // a higher cap over the same count: the flow opened before it still counts, so one more is admitted
        reload(config(ListenerLimits.NONE.withSourceMaxconn(2), UdpOptions.DEFAULTS, AcceptProxy.DISABLED));
        assertThat(client("127.0.0.2").ask("two")).isEqualTo("s:two");
        final ChannelClient fourth = client("127.0.0.2");
        fourth.send("refused");
        Await.until(() -> counters().get(UdpListenerCounters.DROPPED_SOURCE_LIMIT) == 2, 2000);
        assertThat(fourth.receive(200)).isNull();
    }

    @Test
    void behindATrustedProxyEachClientItsHeadersNameIsASourceOfItsOwn() throws Exception {
        start(ListenerLimits.NONE.withSourceMaxconn(1), UdpOptions.DEFAULTS,
            AcceptProxy.from(CidrSet.parse(List.of("127.0.0.1/32"))));
        final ChannelClient proxy = client("127.0.0.1");
        final InetSocketAddress front = lb.localAddress(FRONT);
        proxy.send(withHeader(new InetSocketAddress("198.51.100.7", 5353), front, "a"));
        assertThat(proxy.receive(2000)).isEqualTo("s:a");
        proxy.send(withHeader(new InetSocketAddress("198.51.100.8", 5353), front, "b"));
        assertThat(proxy.receive(2000)).as("another client behind the same proxy").isEqualTo("s:b");
        proxy.send(withHeader(new InetSocketAddress("198.51.100.7", 5354), front, "c"));
        Await.until(() -> counters().get(UdpListenerCounters.DROPPED_SOURCE_LIMIT) == 1, 2000);
        assertThat(proxy.receive(200)).as("a second flow of 198.51.100.7").isNull();
    }

    /** A PROXY v2 DGRAM header naming {@code client}, then {@code payload}, as one datagram. */
    private static byte[] withHeader(final InetSocketAddress client, final InetSocketAddress front,
                                     final String payload) {
        final ByteBuffer header = ProxyHeaderEncoder.v2(client, front, ProxyHeader.Transport.DGRAM);
        final byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        final byte[] datagram = new byte[header.remaining() + body.length];
        header.get(datagram, 0, header.remaining());
        System.arraycopy(body, 0, datagram, datagram.length - body.length, body.length);
        return datagram;
    }

    @Test
    void aFlowThatEndsGivesItsPlaceBackToItsSource() throws Exception {
        start(ListenerLimits.NONE.withSourceMaxconn(1), UdpOptions.DEFAULTS.withIdleTimeout(Duration.ofMillis(200)));
        final ChannelClient first = client("127.0.0.2");
        final ChannelClient second = client("127.0.0.2");
        assertThat(first.ask("one")).isEqualTo("s:one");
        second.send("refused");
        Await.until(() -> counters().get(UdpListenerCounters.DROPPED_SOURCE_LIMIT) == 1, 2000);

        Await.until(() -> counters().active() == 0, 5000); // the first flow ends idle
        assertThat(second.ask("now")).isEqualTo("s:now");
        assertThat(counters().get(UdpListenerCounters.DROPPED_SOURCE_LIMIT)).isEqualTo(1);
    }
}
