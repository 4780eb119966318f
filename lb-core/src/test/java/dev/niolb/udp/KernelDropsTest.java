package dev.niolb.udp;

import dev.niolb.LoadBalancer;
import dev.niolb.admin.EngineStats;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
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
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code udp-rcvbuf} sizes the listener's sockets, and what the kernel drops when they are full is counted: the
 * {@code dropped} reason {@code kernel}; servers' replies it drops on a flow's socket, {@code kernel_replies}.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class KernelDropsTest {
    private static final int SENT = 60;

    @RegisterExtension
    final EngineRig rig;
    private final TestedTransport transport;

    KernelDropsTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
        this.transport = transport;
    }

    private UdpEchoServer server;

    private LoadBalancer start(final int receiveBuffer) throws Exception {
        server = rig.track(new UdpEchoServer("s"));
        return rig.start(config(new InetSocketAddress("127.0.0.1", 0), receiveBuffer));
    }

    private Config config(final InetSocketAddress bind, final int receiveBuffer) {
        return Config.single(1, Duration.ZERO,
            new ListenerConfig("front", Protocol.UDP, bind, "g", TcpOptions.DEFAULTS,
                UdpOptions.DEFAULTS.withReceiveBuffer(receiveBuffer)),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", server.address(), 1))));
    }

    /** Sends {@link #SENT} datagrams of 1000 bytes while the listener's only loop is held, then lets it go. */
    private static void burstWhileTheLoopIsHeld(final LoadBalancer lb) throws Exception {
        whileTheLoopIsHeld(lb, () -> {
            try (UdpClient client = new UdpClient(lb.localAddress("front"))) {
                for (int i = 0; i < SENT; i++) {
                    client.send(new byte[1000]);
                }
            }
        });
    }

    private interface Burst {
        void send() throws Exception;
    }

    private static void whileTheLoopIsHeld(final LoadBalancer lb, final Burst burst) throws Exception {
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        lb.loops().getFirst().execute(() -> {
            held.countDown();
            try {
                release.await();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(held.await(5, TimeUnit.SECONDS)).isTrue();
        try {
            burst.send();
        } finally {
            release.countDown();
        }
    }

    private static long kernelDrops(final LoadBalancer lb) {
        return EngineStats.take(lb).listeners().getFirst().dropped().get("kernel");
    }

    @Test
    void datagramsTheKernelDroppedOnAFullSmallBufferAreCountedAndTheRestRelayed() throws Exception {
        final LoadBalancer lb = start(4096);
        burstWhileTheLoopIsHeld(lb);
        final UdpListenerCounters counters = lb.udpListener("front").counters();

        Await.until(() -> counters.datagramsIn() + kernelDrops(lb) == SENT, 5000);
        assertThat(kernelDrops(lb)).as("a 4 KiB buffer holds a few of 60 KB sent at once").isPositive();
        assertThat(counters.datagramsIn()).isPositive();
    }

    @Test
    void aBufferLargeEnoughForTheBurstDropsNothing() throws Exception {
        final LoadBalancer lb = start(1024 * 1024);
        burstWhileTheLoopIsHeld(lb);
        final UdpListenerCounters counters = lb.udpListener("front").counters();

        Await.until(() -> counters.datagramsIn() == SENT, 5000);
        assertThat(kernelDrops(lb)).isZero();
    }

    @Test
    void aReloadResizesTheRunningSockets() throws Exception {
        final LoadBalancer lb = start(1024 * 1024);
        lb.reload(config(new InetSocketAddress("127.0.0.1", 0), 4096));
        burstWhileTheLoopIsHeld(lb);
        final UdpListenerCounters counters = lb.udpListener("front").counters();

        Await.until(() -> counters.datagramsIn() + kernelDrops(lb) == SENT, 5000);
        assertThat(kernelDrops(lb)).as("the burst met the smaller buffer").isPositive();
    }

    @Test
    void aBufferOverTheKernelsLimitIsWarnedAboutWithTheSettingToRaise() throws Exception {
        final int max = dev.niolb.transport.Sysctl.read(dev.niolb.transport.Sysctl.RMEM_MAX);
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of(UdpListener.class.getName())) {
            start(max + 1024 * 1024);

            assertThat(log.messages()).contains("listener front: udp-rcvbuf "
                + dev.niolb.config.Sizes.format(max + 1024 * 1024) + " is more than the kernel allows: each socket got "
                + dev.niolb.config.Sizes.format(max) + "; raise net.core.rmem_max (sysctl -w net.core.rmem_max="
                + (max + 1024 * 1024) + ")");
        }
    }

    private static final int REPLIES = 300; // of 1000 bytes: a flow's socket has the kernel's default, about 90

    /** One datagram through a flow, then {@link #REPLIES} from its server while the loop is held; until it ends. */
    private Map<String, Long> aBurstOfRepliesTo(final UdpOptions options) throws Exception {
        try (java.net.DatagramSocket server = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            server.setSoTimeout(5000);
            final LoadBalancer lb = rig.start(Config.single(1, Duration.ZERO,
                new ListenerConfig("front", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS, options),
                new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s",
                    (InetSocketAddress) server.getLocalSocketAddress(), 1)))));
            final UdpListenerCounters counters = lb.udpListener("front").counters();
            try (UdpClient client = new UdpClient(lb.localAddress("front"))) {
                client.send(new byte[] {1});
                final java.net.DatagramPacket request = new java.net.DatagramPacket(new byte[16], 16);
                server.receive(request); // from the flow's socket
                whileTheLoopIsHeld(lb, () -> {
                    for (int i = 0; i < REPLIES; i++) {
                        server.send(new java.net.DatagramPacket(new byte[1000], 1000, request.getSocketAddress()));
                    }
                });
                Await.until(() -> counters.flows() == 1 && counters.active() == 0, 5000); // it ended
            }
            final Map<String, Long> dropped = new java.util.HashMap<>(EngineStats.take(lb).listeners().getFirst()
                .dropped());
            dropped.put("out", counters.datagramsOut());
            return dropped;
        }
    }

    @Test
    void repliesTheKernelDroppedOnAFlowsFullSocketAreCountedAsTheFlowEndsWhereTheTransportCanAsk() throws Exception {
        final Map<String, Long> dropped = aBurstOfRepliesTo(UdpOptions.DEFAULTS.withIdleTimeout(Duration.ofMillis(300)));
        if (transport.choice() == dev.niolb.config.TransportChoice.NIO) {
            assertThat(dropped).as("the JDK cannot ask: said by its absence, not as 0")
                .doesNotContainKey("kernel_replies");
            assertThat(dropped.get("out")).as("and the kernel dropped some").isLessThan(REPLIES);
        } else {
            assertThat(dropped.get("kernel_replies")).as("on a full socket").isPositive();
            assertThat(dropped.get("out") + dropped.get("kernel_replies") + dropped.get("send_failed"))
                .as("every reply sent back or counted").isEqualTo(REPLIES);
        }
    }

    @Test
    void repliesBeyondTheOnesAFlowWaitsForAreNotCountedAsDropped() throws Exception {
        // udp-responses 1: the first reply ends the flow, and the other 299 were nobody's
        final Map<String, Long> dropped = aBurstOfRepliesTo(UdpOptions.DEFAULTS.withResponses(1));
        assertThat(dropped.get("out")).isEqualTo(1);
        assertThat(dropped.getOrDefault("kernel_replies", 0L)).isZero();
    }
}
