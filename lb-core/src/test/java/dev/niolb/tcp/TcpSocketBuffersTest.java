package dev.niolb.tcp;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.Sizes;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.LogCapture;
import dev.niolb.testing.TestedTransport;
import dev.niolb.transport.Sysctl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tcp-rcvbuf} and {@code tcp-sndbuf}: {@code SO_RCVBUF} and {@code SO_SNDBUF} on both of a session's sockets,
 * read back from the kernel with {@code ss -m} (which shows what the kernel keeps: twice the size asked).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class TcpSocketBuffersTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final Pattern SKMEM = Pattern.compile("skmem:\\(r\\d+,rb(\\d+),t\\d+,tb(\\d+),");
    /** Sizes no default has: the kernel starts an autotuned socket at tcp_rmem's and tcp_wmem's middle values. */
    private static final int RECEIVE = 96 * 1024;
    private static final int SEND = 48 * 1024;

    @RegisterExtension
    final EngineRig rig;

    TcpSocketBuffersTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    @Test
    void bothSocketsOfASessionHaveTheBuffersAskedFor() throws Exception {
        final TcpOptions sized = TcpOptions.DEFAULTS.withReceiveBuffer(RECEIVE).withSendBuffer(SEND);
        try (ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            final LoadBalancer lb = start(server, sized);
            try (Socket client = new Socket(); Socket accepted = connect(lb, client, server)) {
                final int front = lb.localAddress("front").getPort();
                assertThat(buffers(front, client.getLocalPort())).as("niolb's socket to the client: rb, tb")
                    .containsExactly(2L * RECEIVE, 2L * SEND);
                assertThat(buffers(accepted.getPort(), server.getLocalPort())).as("niolb's socket to the server: rb, tb")
                    .containsExactly(2L * RECEIVE, 2L * SEND);
            }
        }
    }

    @Test
    void withoutASizeTheKernelKeepsItsOwn() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            final LoadBalancer lb = start(server, TcpOptions.DEFAULTS);
            try (Socket client = new Socket(); Socket accepted = connect(lb, client, server)) {
                final int front = lb.localAddress("front").getPort();
                assertThat(buffers(front, client.getLocalPort())).doesNotContain(2L * RECEIVE, 2L * SEND);
                assertThat(buffers(accepted.getPort(), server.getLocalPort())).doesNotContain(2L * RECEIVE, 2L * SEND);
            }
        }
    }

    @Test
    void sizesAboveTheKernelsMaximumAreWarnedOfWithTheSettingToRaise() throws Exception {
        final int rmax = Sysctl.read(Sysctl.RMEM_MAX);
        final int wmax = Sysctl.read(Sysctl.WMEM_MAX);
        final int more = 1024 * 1024;
        try (ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             LogCapture log = LogCapture.of(TcpListener.class.getName())) {
            start(server, TcpOptions.DEFAULTS.withReceiveBuffer(rmax + more).withSendBuffer(wmax + more));

            assertThat(log.messages()).contains(
                "listener front: tcp-rcvbuf " + Sizes.format(rmax + more) + " is more than the kernel allows: each "
                    + "socket gets " + Sizes.format(rmax) + "; raise net.core.rmem_max (sysctl -w net.core.rmem_max="
                    + (rmax + more) + ")",
                "listener front: tcp-sndbuf " + Sizes.format(wmax + more) + " is more than the kernel allows: each "
                    + "socket gets " + Sizes.format(wmax) + "; raise net.core.wmem_max (sysctl -w net.core.wmem_max="
                    + (wmax + more) + ")");
        }
    }

    private LoadBalancer start(final ServerSocket server, final TcpOptions tcp) throws IOException {
        return rig.start(Config.single(1, Duration.ZERO,
            new ListenerConfig("front", Protocol.TCP, LOOPBACK, "g", tcp),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("s", (InetSocketAddress) server.getLocalSocketAddress(), 1)))));
    }

    /** A session through niolb, both its connections established: the server's end of it. */
    private static Socket connect(final LoadBalancer lb, final Socket client, final ServerSocket server)
        throws IOException {
        client.connect(lb.localAddress("front"));
        client.getOutputStream().write("hi".getBytes(StandardCharsets.US_ASCII));
        final Socket accepted = server.accept();
        accepted.getInputStream().readNBytes(2); // relayed: niolb's server socket is set up
        return accepted;
    }

    /** {@code rb} and {@code tb} of the one established socket from local port {@code from} to {@code to}. */
    private static List<Long> buffers(final int from, final int to) throws IOException, InterruptedException {
        final Process ss = new ProcessBuilder("ss", "-tmnH", "state", "established",
            "( sport = :" + from + " and dport = :" + to + " )").redirectErrorStream(true).start();
        final String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ss.waitFor(10, TimeUnit.SECONDS)).isTrue();
        final Matcher m = SKMEM.matcher(out);
        assertThat(m.find()).as("ss for %d -> %d: %s", from, to, out).isTrue();
        final List<Long> found = List.of(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
        assertThat(m.find()).as("one socket from %d to %d: %s", from, to, out).isFalse();
        return found;
    }
}
