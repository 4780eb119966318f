package dev.niolb.udp;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading the kernel's UDP tables ({@code /proc/net/udp}, {@code udp6}). */
class KernelUdpTest {
    private static final String TABLES = """
           sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
          101: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1001 2 0000000000000000 7
          102: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1002 2 0000000000000000 5
          103: 0100007F:0035 0200007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 1003 2 0000000000000000 9
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
          202: 0000000000000000FFFF00000100007F:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2002 2 0000000000000000 100
          201: 00000000000000000000000001000000:14E9 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2001 2 0000000000000000 3
        """;

    @Test
    void dropsAreSummedOverEverySocketBoundToTheAddress() {
        final KernelUdp tables = KernelUdp.parse(TABLES);

        assertThat(tables.drops(new InetSocketAddress("127.0.0.1", 53))).as("and the JDK's dual-stack socket's")
            .isEqualTo(112);
        assertThat(tables.drops(new InetSocketAddress("::1", 5353))).isEqualTo(3);
        assertThat(tables.drops(new InetSocketAddress("127.0.0.2", 53))).as("a flow's peer, not a local address")
            .isZero();
        // a socket connected to 127.0.0.2:53 from 127.0.0.1:53 (its 9 drops) is a flow's, not the listener's
    }

    @Test
    void addressesAreWrittenAsTheKernelWritesThemWordByWord() {
        assertThat(KernelUdp.key(new InetSocketAddress("127.0.0.1", 53))).isEqualTo("0100007F:0035");
        assertThat(KernelUdp.key(new InetSocketAddress("0.0.0.0", 65535))).isEqualTo("00000000:FFFF");
        assertThat(KernelUdp.key(new InetSocketAddress("2001:db8::1", 53)))
            .isEqualTo("B80D0120000000000000000001000000:0035");
    }

    @Test
    void theRunningSystemsTablesCanBeRead() {
        assertThat(KernelUdp.read()).as("Linux with /proc").isNotNull();
    }
}
