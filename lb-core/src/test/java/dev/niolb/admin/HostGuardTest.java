package dev.niolb.admin;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The host rules on their own: the cases no loopback-only test machine can reach through a socket. */
class HostGuardTest {
    private static final InetAddress LOOPBACK = InetAddress.ofLiteral("127.0.0.1");
    private static final InetAddress LAN = InetAddress.ofLiteral("192.0.2.7");
    private final HostGuard guard = new HostGuard(List.of("lb.example.com", "2001:db8::7"));

    @Test
    void theAddressTheConnectionCameInOnIsAnsweredAsALiteralAndNoOtherNonLoopbackOne() {
        assertThat(guard.refusal("192.0.2.7:9900", LAN)).isNull();
        assertThat(guard.refusal("192.0.2.7", LAN)).isNull();
        assertThat(guard.refusal("192.0.2.8:9900", LAN)).isNotNull(); // another machine's address: not ours
        assertThat(guard.refusal("192.0.2.7:9900", LOOPBACK)).isNotNull(); // bound to loopback, reached otherwise
    }

    @Test
    void ipv6LiteralsAreComparedAsAddresses() {
        assertThat(guard.refusal("[::1]:9900", LAN)).isNull();
        assertThat(guard.refusal("[0:0:0:0:0:0:0:1]", LAN)).isNull();
        assertThat(guard.refusal("[2001:db8:0::7]:9900", LAN)).isNull(); // listed by the operator
        assertThat(guard.refusal("[2001:db8::8]:9900", LAN)).isNotNull();
        assertThatThrownBy(() -> guard.refusal("::1", LAN)).as("unbracketed IPv6 is not a Host: a bad request")
            .isInstanceOf(Refused.class).hasMessage("bad Host header '::1'");
    }

    @Test
    void namesThatOnlyLookLikeAllowedOnesAreRefused() {
        assertThat(guard.refusal("lb.example.com", LAN)).isNull();
        assertThat(guard.refusal("LB.Example.com.:80", LAN)).isNull();
        assertThat(guard.refusal("lb.example.com.evil.example", LAN)).isNotNull();
        assertThat(guard.refusal("localhost.evil.example", LAN)).isNotNull();
        assertThat(guard.refusal("127.0.0.1.evil.example", LAN)).isNotNull();
        assertThatThrownBy(() -> guard.refusal("localhost:x", LAN)).isInstanceOf(Refused.class);
        assertThatThrownBy(() -> guard.refusal("[::1", LAN)).isInstanceOf(Refused.class);
        for (final String noHost : new String[] {"a b", "user@localhost", "localhost/x"}) {
            assertThatThrownBy(() -> guard.refusal(noHost, LAN)).as(noHost).isInstanceOf(Refused.class);
        }
        assertThat(guard.refusal("127.1", LOOPBACK)).as("a BSD form: no literal").isNotNull();
        assertThat(guard.refusal("localhost:0009900", LOOPBACK)).as("zeros may lead a port").isNull();
    }

    @Test
    void anOriginMustNameTheHostTheRequestNamesNotAnotherLoopbackSocket() {
        assertThat(guard.originRefusal("http://127.0.0.2:9900", "127.0.0.1:9900", LOOPBACK)).isNotNull();
        assertThat(guard.originRefusal("http://[::1]:9900", "127.0.0.1:9900", LOOPBACK)).isNotNull();
        assertThat(guard.originRefusal("http://localhost:9900", "127.0.0.1:9900", LOOPBACK)).isNotNull();
        assertThat(guard.originRefusal("http://localhost.:9900", "LOCALHOST:9900", LOOPBACK)).isNull();
    }

    @Test
    void anOriginMustNameAnAllowedHostWithTheRequestsPort() {
        assertThat(guard.originRefusal("http://localhost:9900", "localhost:9900", LOOPBACK)).isNull();
        assertThat(guard.originRefusal("http://[::1]:9900", "[0:0::1]:9900", LOOPBACK)).isNull();
        assertThat(guard.originRefusal("http://lb.example.com", "lb.example.com", LAN)).isNull();
        assertThat(guard.originRefusal("https://lb.example.com", "lb.example.com:443", LAN)).isNull();
        assertThat(guard.originRefusal("http://localhost:3000", "localhost:9900", LOOPBACK)).isNotNull();
        assertThat(guard.originRefusal("http://evil.example:9900", "localhost:9900", LOOPBACK)).isNotNull();
        assertThat(guard.originRefusal("null", "localhost:9900", LOOPBACK)).isNotNull();
        assertThat(guard.originRefusal("file://", "localhost:9900", LOOPBACK)).isNotNull();
        assertThat(guard.originRefusal(null, "localhost:9900", LOOPBACK)).as("not a browser").isNull();
        assertThat(guard.originRefusal("http://127.0.0.1:9900", "127.0.0.1:09900", LOOPBACK)).isNull();
        assertThat(guard.originRefusal("http://user@localhost:9900", "localhost:9900", LOOPBACK)).isNotNull();
    }
}
