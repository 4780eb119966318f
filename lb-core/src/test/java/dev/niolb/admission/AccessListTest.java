package dev.niolb.admission;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AccessListTest {
    private static InetAddress ip(final String s) throws Exception {
        return InetAddress.getByName(s);
    }

    private static AccessList list(final List<String> allow, final List<String> deny) {
        return new AccessList(CidrSet.parse(allow), CidrSet.parse(deny));
    }

    @Test
    void anEmptyListAdmitsEveryone() throws Exception {
        assertThat(AccessList.OPEN.permits(ip("203.0.113.9"))).isTrue();
        assertThat(AccessList.OPEN.permits(ip("2001:db8::1"))).isTrue();
        assertThat(AccessList.OPEN.restricts()).isFalse();
    }

    @Test
    void aDeniedBlockIsRefusedAndEveryoneElseAdmitted() throws Exception {
        final AccessList acl = list(List.of(), List.of("10.6.6.0/24", "2001:db8:bad::/48"));

        assertThat(acl.permits(ip("10.6.6.7"))).isFalse();
        assertThat(acl.permits(ip("2001:db8:bad:1::1"))).isFalse();
        assertThat(acl.permits(ip("10.6.7.1"))).isTrue();
        assertThat(acl.permits(ip("2001:db8:600d::1"))).isTrue();
    }

    @Test
    void withAnAllowListOnlyItsBlocksAreAdmitted() throws Exception {
        final AccessList acl = list(List.of("192.168.0.0/16", "fd00::/8"), List.of());

        assertThat(acl.permits(ip("192.168.4.4"))).isTrue();
        assertThat(acl.permits(ip("fd12::3"))).isTrue();
        assertThat(acl.permits(ip("10.0.0.1"))).isFalse();
        assertThat(acl.permits(ip("2001:db8::1"))).isFalse();
    }

    @Test
    void denyWinsOverAllow() throws Exception {
        final AccessList acl = list(List.of("10.0.0.0/8"), List.of("10.6.6.0/24"));

        assertThat(acl.permits(ip("10.1.2.3"))).isTrue();
        assertThat(acl.permits(ip("10.6.6.6"))).isFalse();
    }

    @Test
    void anIpv4MappedIpv6PeerIsJudgedAsIpv4() throws Exception {
        final AccessList acl = list(List.of(), List.of("127.0.0.2/32"));

        assertThat(acl.permits(ip("::ffff:127.0.0.2"))).isFalse();
    }
}
