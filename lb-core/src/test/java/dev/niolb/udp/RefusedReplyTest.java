package dev.niolb.udp;

import dev.niolb.LoadBalancer;
import dev.niolb.config.AccessLogFormat;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import dev.niolb.testing.AccessLines;
import dev.niolb.testing.Await;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.UdpClient;
import dev.niolb.testing.UdpEchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reply the kernel refuses is counted as dropped, never as sent, on every transport: on epoll it is refused
 * when the loop's batch of replies leaves (sendmmsg, after {@code send} had accepted it), on NIO by the send itself.
 * The refused reply is one to source port 0, which the kernel will not send to ({@code EINVAL}): a datagram from
 * port 0 can only be made with a raw socket, so the test needs {@code CAP_NET_RAW} and skips without it. The
 * flow's access-log line counts only the replies the kernel took, on epoll too, where the refusal comes after
 * the flow has ended.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class RefusedReplyTest {
    private static final String FRONT = "front";

    @RegisterExtension
    final EngineRig rig;

    RefusedReplyTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    @Test
    void aReplyTheKernelRefusesIsCountedAsDroppedNotAsSent() throws Throwable {
        final UdpEchoServer server = rig.track(new UdpEchoServer("s0"));
        final LoadBalancer lb = rig.start(Config.single(1, Duration.ofSeconds(5),
            new ListenerConfig(FRONT, Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS,
                UdpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s0", server.address(), 1)))));
        final UdpListenerCounters counters = lb.udpListener(FRONT).counters();
        final int port = lb.localAddress(FRONT).getPort();

        sendFromPortZero(port, "from nowhere");
        Await.until(() -> counters.get(UdpListenerCounters.DROPPED_SEND) == 1, 5000);
        assertThat(server.received()).as("the server answered it").isEqualTo(1);

        // a client that can be answered is, in the same loop: only the refused reply was dropped
        final UdpClient client = rig.track(new UdpClient(lb.localAddress(FRONT)));
        assertThat(client.ask("hello")).isEqualTo("s0:hello");
        // the loop counts a reply after its send returns, and the client may have it before then: wait for the count
        Await.until(() -> counters.datagramsOut() >= 1, 5000);
        assertThat(counters.datagramsOut()).as("replies counted as sent").isEqualTo(1);
        assertThat(counters.get(UdpListenerCounters.DROPPED_SEND)).isEqualTo(1);
    }

    @Test
    void aFlowWhoseReplyTheKernelRefusedLogsNoBytesOutAndAnAnsweredFlowLogsItsReply() throws Throwable {
        final AccessLines lines = rig.track(new AccessLines());
        final UdpEchoServer server = rig.track(new UdpEchoServer("s0"));
        // one response each: a flow ends in the loop turn that sent its reply, before a batching transport sends it
        final LoadBalancer lb = rig.start(Config.single(1, Duration.ofSeconds(5),
                new ListenerConfig(FRONT, Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS, UdpOptions.DEFAULTS.withResponses(1)),
                new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s0", server.address(), 1))))
            .withAccessLog(AccessLogFormat.PLAIN));
        final int port = lb.localAddress(FRONT).getPort();

        sendFromPortZero(port, "from nowhere"); // 12 bytes in; its reply "s0:from nowhere" is refused
        final String refused = lines.await(l -> l.startsWith("127.0.0.1:0 "), 5000);
        assertThat(refused).as("bytes in, bytes out, retries, termination").endsWith(" 12 0 0 responses");

        final UdpClient client = rig.track(new UdpClient(lb.localAddress(FRONT)));
        assertThat(client.ask("hello")).isEqualTo("s0:hello");
        final String answered = lines.await(l -> l.startsWith("127.0.0.1:" + client.localAddress().getPort() + " "),
            5000);
        assertThat(answered).endsWith(" 5 8 0 responses");
        final UdpListenerCounters counters = lb.udpListener(FRONT).counters();
        assertThat(counters.bytesOut()).as("the answered reply alone").isEqualTo(8);
        assertThat(counters.get(UdpListenerCounters.DROPPED_SEND)).isEqualTo(1);
    }

    /** A UDP datagram from 127.0.0.1 port 0 (which no socket can send from) to {@code port}. */
    private static void sendFromPortZero(final int port, final String text) throws Throwable {
        dev.niolb.testing.RawUdp.send(0, (java.net.Inet4Address) java.net.InetAddress.getByName("127.0.0.1"), port, text);
    }
}
