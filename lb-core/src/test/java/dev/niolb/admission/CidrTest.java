package dev.niolb.admission;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CidrTest {
    private static InetAddress ip(final String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void anIpv4BlockContainsExactlyItsAddresses() throws Exception {
        final Cidr net = Cidr.parse("10.1.0.0/16");
        assertThat(net.contains(ip("10.1.0.0"))).isTrue();
        assertThat(net.contains(ip("10.1.255.255"))).isTrue();
        assertThat(net.contains(ip("10.2.0.0"))).isFalse();
        assertThat(net.contains(ip("10.0.255.255"))).isFalse();
    }

    @Test
    void hostBitsBeyondThePrefixAreCleared() {
        assertThat(Cidr.parse("10.1.2.3/8")).isEqualTo(Cidr.parse("10.0.0.0/8"));
        assertThat(Cidr.parse("10.1.2.3/8")).hasToString("10.0.0.0/8");
    }

    @Test
    void ipv6BlocksPrintInTheirShortForm() {
        assertThat(Cidr.parse("::1")).hasToString("::1/128");
        assertThat(Cidr.parse("::/0")).hasToString("::/0");
        assertThat(Cidr.parse("2001:DB8::/32")).hasToString("2001:db8::/32");
        assertThat(Cidr.parse("2001:db8:0:1:0:0:0:1")).hasToString("2001:db8:0:1::1/128");
        assertThat(Cidr.parse("2001:0:0:1:0:0:0:0/128")).hasToString("2001:0:0:1::/128");
        assertThat(Cidr.parse("1:0:2:3:4:5:6:7")).hasToString("1:0:2:3:4:5:6:7/128");
    }

    @Test
    void aBareAddressIsOneHost() throws Exception {
        final Cidr host = Cidr.parse("127.0.0.2");
        assertThat(host.prefixLength()).isEqualTo(32);
        assertThat(host.contains(ip("127.0.0.2"))).isTrue();
        assertThat(host.contains(ip("127.0.0.3"))).isFalse();
        assertThat(Cidr.parse("::1").contains(ip("::1"))).isTrue();
        assertThat(Cidr.parse("::1").contains(ip("::2"))).isFalse();
    }

    @Test
    void zeroLengthMatchesEveryAddressOfItsFamilyOnly() throws Exception {
        assertThat(Cidr.parse("0.0.0.0/0").contains(ip("203.0.113.9"))).isTrue();
        assertThat(Cidr.parse("0.0.0.0/0").contains(ip("2001:db8::1"))).isFalse();
        assertThat(Cidr.parse("::/0").contains(ip("2001:db8::1"))).isTrue();
        assertThat(Cidr.parse("::/0").contains(ip("203.0.113.9"))).isFalse();
    }

    @Test
    void ipv6BlocksMatchAcrossTheSixtyFourBitBoundary() throws Exception {
        final Cidr net = Cidr.parse("2001:db8:0:0:8000::/65");
        assertThat(net.contains(ip("2001:db8::8000:0:0:1"))).isTrue();
        assertThat(net.contains(ip("2001:db8::7fff:0:0:1"))).isFalse();
        final Cidr wide = Cidr.parse("2001:db8::/32");
        assertThat(wide.contains(ip("2001:db8:ffff::1"))).isTrue();
        assertThat(wide.contains(ip("2001:db9::1"))).isFalse();
    }

    @Test
    void anIpv4MappedBlockCountsItsLengthOverAllOneHundredTwentyEightBits() throws Exception {
        assertThat(Cidr.parse("::ffff:127.0.0.3/128")).isEqualTo(Cidr.parse("127.0.0.3/32"));
        final Cidr block = Cidr.parse("::ffff:10.1.0.0/112");
        assertThat(block.contains(ip("10.1.200.7"))).isTrue();
        assertThat(block.contains(ip("10.2.0.1"))).isFalse();
        assertThatThrownBy(() -> Cidr.parse("::ffff:10.0.0.0/8")).as("::/8 as IPv6 reads it, not 10/8")
            .isInstanceOf(IllegalArgumentException.class).hasMessage("bad CIDR '::ffff:10.0.0.0/8': an IPv4-mapped "
                + "block needs a prefix length of 96..128, got 8 (an IPv4 block is written 10.0.0.0/8)");
        assertThatThrownBy(() -> Cidr.parse("::ffff:10.0.0.0/64")).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("bad CIDR '::ffff:10.0.0.0/64': an IPv4-mapped block needs a prefix length of 96..128, got 64");
    }

    @Test
    void badInputIsRejectedWithOneLineNamingIt() {
        for (final String bad : List.of("", "10.0.0.0/33", "::/129", "10.0.0.0/x", "example.com", "10.0.0/8",
            "1.2.3.4.5", "10.0.0.0/-1", "::g")) {
            assertThatThrownBy(() -> Cidr.parse(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("bad CIDR '" + bad + "'").hasMessageNotContaining("\n");
        }
    }

    @Test
    void aSetMatchesWhenAnyBlockDoesAndAnEmptySetMatchesNothing() throws Exception {
        final CidrSet set = CidrSet.parse(List.of("10.0.0.0/8", "2001:db8::/32"));
        assertThat(set.contains(ip("10.9.9.9"))).isTrue();
        assertThat(set.contains(ip("2001:db8::5"))).isTrue();
        assertThat(set.contains(ip("192.0.2.1"))).isFalse();
        assertThat(CidrSet.EMPTY.contains(ip("10.9.9.9"))).isFalse();
    }
}
