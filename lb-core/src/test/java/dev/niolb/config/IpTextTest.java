package dev.niolb.config;

import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;

import static org.assertj.core.api.Assertions.assertThat;

class IpTextTest {
    private static String text(final String literal) throws Exception {
        return IpText.of(InetAddress.getByName(literal)); // a literal: no lookup
    }

    @Test
    void ipv6IsWrittenInRfc5952sCanonicalForm() throws Exception {
        assertThat(text("0:0:0:0:0:0:0:1")).isEqualTo("::1");
        assertThat(text("0:0:0:0:0:0:0:0")).isEqualTo("::");
        assertThat(text("2001:0DB8:0:0:0:0:0:1")).isEqualTo("2001:db8::1");
        assertThat(text("2001:db8:0:0:1:0:0:1")).as("the first of two equal runs").isEqualTo("2001:db8::1:0:0:1");
        assertThat(text("2001:db8:0:0:0:1:0:0")).as("the longest run").isEqualTo("2001:db8::1:0:0");
        assertThat(text("2001:db8:0:1:1:1:1:1")).as("one zero group stays").isEqualTo("2001:db8:0:1:1:1:1:1");
        assertThat(text("fe80:0:0:0:0:0:0:a")).isEqualTo("fe80::a");
    }

    @Test
    void anIpv4MappedAddressKeepsItsIpv4PartDotted() {
        final byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 1, 2, 3, 4};
        assertThat(IpText.ipv6(mapped)).isEqualTo("::ffff:1.2.3.4");
        final byte[] notMapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, (byte) 0xFF, (byte) 0xFF, 1, 2, 3, 4};
        assertThat(IpText.ipv6(notMapped)).isEqualTo("::1:ffff:102:304");
    }

    private static final byte[] FE80_1 = {(byte) 0xfe, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    @Test
    void ipv4IsDotted() throws Exception {
        assertThat(text("192.0.2.1")).isEqualTo("192.0.2.1");
    }

    @Test
    void aScopeTheKernelGaveAsANumberIsWrittenAsItsInterfacesNameWhereTheNameReadsBack() throws Exception {
        // the JDK takes a name as a scope only from an interface with an address of the same kind (link-local
        // here): lo has none, an ethernet interface usually has one; whichever this host has, each is checked
        for (final NetworkInterface nif : NetworkInterface.networkInterfaces().toList()) {
            final boolean hasLinkLocal = nif.inetAddresses()
                .anyMatch(a -> a instanceof Inet6Address v6 && v6.isLinkLocalAddress());
            final Inet6Address numbered = Inet6Address.getByAddress(null, FE80_1, nif.getIndex());

            final String text = IpText.of(numbered);

            assertThat(text).as(nif.getName()).isEqualTo("fe80::1%" + (hasLinkLocal ? nif.getName() : nif.getIndex()));
            assertThat(Endpoint.parse("[" + text + "]:443").address().getPort()).as("reads back").isEqualTo(443);
        }
    }

    @Test
    void aScopeNoInterfaceHasStaysANumber() throws Exception {
        final Inet6Address numbered = Inet6Address.getByAddress(null, FE80_1, 999_999);

        assertThat(IpText.of(numbered)).isEqualTo("fe80::1%999999");
    }

    private static boolean isLoopback(final NetworkInterface nif) {
        try {
            return nif.isLoopback();
        } catch (final java.net.SocketException e) {
            return false;
        }
    }

    @Test
    void anEndpointsTextUsesIt() throws Exception {
        assertThat(Endpoint.hostPort(new InetSocketAddress(InetAddress.getByName("::1"), 1111))).isEqualTo("[::1]:1111");
        assertThat(Endpoint.hostPort(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 80))).isEqualTo("127.0.0.2:80");
    }
}
