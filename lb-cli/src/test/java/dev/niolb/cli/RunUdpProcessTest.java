package dev.niolb.cli;

import dev.niolb.testing.EchoServer;
import dev.niolb.testing.Ports;
import dev.niolb.testing.UdpClient;
import dev.niolb.testing.UdpEchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code niolb run} with UDP listeners, as a child process: real datagrams on loopback, real signals. */
@Timeout(60)
class RunUdpProcessTest {
    private static final Duration START = Duration.ofSeconds(20);
    private static final Duration EXIT = Duration.ofSeconds(20);

    @Test
    void oneRunWithATcpAndAUdpListenerOnOnePortNumberServesBothThenStopsOnSigterm() throws Exception {
        final int front = Ports.freeForTcpAndUdp();
        try (EchoServer tcpServer = new EchoServer("tcp says hi");
             UdpEchoServer udpServer = udpEchoOnPort(tcpServer.address().getPort());
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "127.0.0.1:" + front,
                 "--listen", "udp://127.0.0.1:" + front, "--server", "127.0.0.1:" + tcpServer.address().getPort(),
                 "--threads", "2", "--udp-responses", "1", "--grace", "5s")) {
            niolb.awaitOut("listening on tcp://127\\.0\\.0\\.1:" + front + ", udp://127\\.0\\.0\\.1:" + front + ";", START);

            try (Socket tcp = new Socket(InetAddress.getLoopbackAddress(), front)) {
                assertThat(RunProcessTest.readLine(tcp)).isEqualTo("tcp says hi");
            }
            try (UdpClient udp = new UdpClient(new InetSocketAddress("127.0.0.1", front))) {
                assertThat(udp.ask("a datagram")).isEqualTo("udp:a datagram");
                assertThat(udp.lastSender()).isEqualTo(new InetSocketAddress("127.0.0.1", front));
            }

            niolb.signal("TERM");
            assertThat(niolb.awaitExit(EXIT)).isZero();
            assertThat(niolb.out()).anyMatch(line -> line.endsWith("stopping: 0 sessions, grace 5s (SIGTERM)"));
            assertThat(niolb.err()).isEmpty();
        }
    }

    @Test
    void aUdpPortInUseIsOneLineNamingItAndExitCode1() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
             NiolbProcess niolb = NiolbProcess.start("run", "--listen", "udp://127.0.0.1:" + taken.getLocalPort(),
                 "--server", "127.0.0.1:53")) {
            assertThat(niolb.awaitExit(EXIT)).isEqualTo(1);
            assertThat(niolb.err()).containsExactly(
                "niolb: cannot listen on udp://127.0.0.1:" + taken.getLocalPort() + ": address already in use");
        }
    }

    /** A UDP echo on the TCP echo's port number, so that one {@code --server} serves both listeners. */
    private static UdpEchoServer udpEchoOnPort(final int port) throws IOException {
        return new UdpEchoServer("udp", 1, port);
    }
}
