package dev.niolb.balance;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The hash source balancing uses: the same on every instance, and spread over every bit of the address. */
class ClientHashTest {

    @Test
    void ipv6ClientsWhoseAddressesAddUpToTheSameWordsStillHashApart() throws Exception {
        // the JDK's Inet6Address.hashCode adds the four 32-bit words: each pair here has the same sum
        assertThat(ClientHash.of(InetAddress.getByName("fd00:15:1:1::1:0")))
            .isNotEqualTo(ClientHash.of(InetAddress.getByName("fd00:15:1:1::0:1")));
        assertThat(ClientHash.of(InetAddress.getByName("fd00:15:1:2::1")))
            .isNotEqualTo(ClientHash.of(InetAddress.getByName("fd00:15:1:1::2")));
    }

    @Test
    void twelveNeighboursOfThreeNetworksGetTwelveHashes() throws Exception {
        final Set<Integer> hashes = new HashSet<>();
        for (int net = 1; net <= 3; net++) {
            for (int host = 1; host <= 4; host++) {
                hashes.add(ClientHash.of(InetAddress.getByName("fd00:15:abcd:" + net + "::" + host)));
            }
        }
        assertThat(hashes).hasSize(12);
    }

    @Test
    void theHashIsAFunctionOfTheAddressAloneNotThePortNorTheObject() throws Exception {
        final InetAddress a = InetAddress.getByName("2001:db8::7");
        assertThat(ClientHash.of(new InetSocketAddress(a, 1000))).isEqualTo(ClientHash.of(new InetSocketAddress(
            InetAddress.getByName("2001:db8:0:0:0:0:0:7"), 2000)));
        // IPv4 keeps the hash it always had: the address mixed by Murmur3's finaliser
        final InetAddress v4 = InetAddress.getByName("192.0.2.7");
        assertThat(ClientHash.of(v4)).isEqualTo(ClientHash.mix(0xC0000207));
    }
}
