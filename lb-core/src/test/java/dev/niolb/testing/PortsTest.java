package dev.niolb.testing;

import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

import static org.assertj.core.api.Assertions.assertThat;

class PortsTest {
    @Test
    void aFreePortIsBelowTheEphemeralRangeAndTakesATcpListenerAndAUdpSocket() throws Exception {
        final int port = Ports.freeForTcpAndUdp();

        assertThat(port).isBetween(Ports.FIRST, Ports.LAST).isLessThan(32_768);
        try (ServerSocket tcp = new ServerSocket(port, 1, java.net.InetAddress.getByName("127.0.0.1"));
             DatagramSocket udp = new DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
            assertThat(tcp.getLocalPort()).isEqualTo(port);
            assertThat(udp.getLocalPort()).isEqualTo(port);
        }
    }
}
