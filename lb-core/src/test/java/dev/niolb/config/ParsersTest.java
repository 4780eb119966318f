package dev.niolb.config;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParsersTest {
    @Test
    void anEndpointWithoutSchemeIsTcp() {
        final Endpoint e = Endpoint.parse("127.0.0.1:8080");
        assertThat(e.protocol()).isEqualTo(Protocol.TCP);
        assertThat(e.address()).isEqualTo(new InetSocketAddress("127.0.0.1", 8080));
    }

    @Test
    void anEndpointTakesAUdpSchemeAndBracketedIpv6() {
        final Endpoint e = Endpoint.parse("udp://[::1]:53");
        assertThat(e.protocol()).isEqualTo(Protocol.UDP);
        assertThat(e.address().getPort()).isEqualTo(53);
        assertThat(e.address().getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
        assertThat(e.toString()).isEqualTo("udp://[::1]:53");
    }

    @Test
    void anIpv4AddressIsFourNumbersWithoutLeadingZerosNotWhatTheJdkWouldGuess() {
        assertThatThrownBy(() -> Endpoint.parse("0177.0.0.1:80")).hasMessage("bad address '0177.0.0.1:80': "
            + "'0177.0.0.1' is no IPv4 address: write four numbers 0..255 without leading zeros, as 127.0.0.1");
        assertThatThrownBy(() -> Endpoint.parse("127.1:80")).hasMessageContaining("'127.1' is no IPv4 address");
        assertThatThrownBy(() -> Endpoint.parse("2130706433:80")).hasMessageContaining("is no IPv4 address");
        assertThatThrownBy(() -> Endpoint.parse("1.2.3.256:80")).hasMessageContaining("is no IPv4 address");
        assertThat(Endpoint.parse("0.0.0.0:80").address()).isEqualTo(new InetSocketAddress("0.0.0.0", 80));
        assertThat(Endpoint.parse("10.200.0.9:80").address()).isEqualTo(new InetSocketAddress("10.200.0.9", 80));
    }

    @Test
    void aScopeThatNamesNoInterfaceIsSaidSoNotAnUnknownHost() {
        assertThatThrownBy(() -> Endpoint.parse("[fe80::1%nosuch0]:80")).hasMessage("bad address '[fe80::1%nosuch0]:80': "
            + "no network interface 'nosuch0' on this host (the scope after '%': an interface name or index, as in "
            + "'[fe80::1%eth0]:80')");
    }

    @Test
    void aLinkLocalIpv6AddressMustNameItsInterface() {
        assertThatThrownBy(() -> Endpoint.parse("[fe80::1]:80")).hasMessage("bad address '[fe80::1]:80': a link-local "
            + "address needs its interface, as '[fe80::1%eth0]:80'");
        assertThatThrownBy(() -> Endpoint.parse("udp://[FE80::a:1]:53")).hasMessageContaining("needs its interface");
        assertThat(Endpoint.parse("[fe80::1%1]:80").address().getAddress().getHostAddress()).isEqualTo("fe80:0:0:0:0:0:0:1%1");
        assertThatThrownBy(() -> Endpoint.parse("[febf::1]:80")).as("fe80::/10").hasMessageContaining("link-local");
        assertThat(Endpoint.parse("[fec0::1]:80").address().getPort()).as("not link-local").isEqualTo(80);
    }

    @Test
    void aBusyPollThatIsNoTimeSaysTheLimitAsTheRangeCheckDoes() {
        assertThatThrownBy(() -> BusyPoll.parse("1s")).hasMessage("bad busy-poll '1s': expected off, or a time such "
            + "as 50us or 1ms, at most 100ms");
    }

    @Test
    void aPortWithLeadingZerosIsItsNumber() {
        // "port must be a number" was said of 024000, which is one
        assertThat(Endpoint.parse("127.0.0.1:024000").address().getPort()).isEqualTo(24000);
        assertThat(Endpoint.parse("127.0.0.1:080").address().getPort()).isEqualTo(80);
    }

    @Test
    void badEndpointsAreRejectedWithOneLineNamingTheInput() {
        assertThatThrownBy(() -> Endpoint.parse("localhost")).hasMessage("bad address 'localhost': expected HOST:PORT");
        assertThatThrownBy(() -> Endpoint.parse("1.2.3.4:99999")).hasMessageContaining("port must be 0..65535");
        assertThatThrownBy(() -> Endpoint.parse("1.2.3.4:http")).hasMessageContaining("port must be a number");
        assertThatThrownBy(() -> Endpoint.parse("1.2.3.4:123456")).hasMessage("bad address '1.2.3.4:123456': port "
            + "must be 0..65535, got 123456");
        assertThatThrownBy(() -> Endpoint.parse("1.2.3.4:80,weight=3")).as("a server map's address with options")
            .hasMessage("bad address '1.2.3.4:80,weight=3': port must be a number 0..65535; options after a comma are "
                + "the one-line server form's (HOST:PORT,weight=3): in a map give each its own key");
        assertThatThrownBy(() -> Endpoint.parse("::1:80")).hasMessageContaining("[::1]:80");
        assertThatThrownBy(() -> Endpoint.parse("::1")).as("not '[:]:1'")
            .hasMessage("bad address '::1': no port; write an IPv6 address in brackets with its port, as '[::1]:PORT'");
        assertThatThrownBy(() -> Endpoint.parse("sctp://1.2.3.4:5")).hasMessageContaining("unknown scheme 'sctp'");
        assertThatThrownBy(() -> Endpoint.parse("TCP:[::1]:80")).as("not an IPv6 address without brackets")
            .hasMessage("bad address 'TCP:[::1]:80': write the scheme with //, as 'TCP://[::1]:80'");
        assertThatThrownBy(() -> Endpoint.parse(":80")).hasMessageContaining("missing host");
    }

    @Test
    void durationsTakeTheUnitsUsersWrite() {
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parse("10m")).isEqualTo(Duration.ofMinutes(10));
        assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse("0")).isEqualTo(Duration.ZERO);
    }

    @Test
    void aDurationWithoutAKnownUnitIsRejected() {
        assertThatThrownBy(() -> Durations.parse("5")).hasMessageContaining("unit must be ms, s, m, h or d");
        assertThatThrownBy(() -> Durations.parse("fast")).hasMessageContaining("bad duration 'fast'");
        assertThatThrownBy(() -> Durations.parse("-5s")).hasMessageContaining("bad duration");
    }

    @Test
    void durationsFormatBackToTheShortestExactForm() {
        for (final String text : new String[]{"250ms", "1500ms", "5s", "10m", "1h", "2d", "0"}) {
            assertThat(Durations.format(Durations.parse(text))).isEqualTo(text);
        }
    }

    @Test
    void aServerSpecTakesWeightAndName() {
        final ServerConfig s = ServerConfig.parse("10.0.0.2:80,weight=3,name=web2");
        assertThat(s.address()).isEqualTo(new InetSocketAddress("10.0.0.2", 80));
        assertThat(s.weight()).isEqualTo(3);
        assertThat(s.name()).isEqualTo("web2");
        assertThat(ServerConfig.parse("10.0.0.1:80").name()).isEqualTo("10.0.0.1:80");
    }

    @Test
    void aServerSpecWithABadOptionIsRejected() {
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.1:80,weight=900"))
            .hasMessage("server '10.0.0.1:80,weight=900': weight must be 0..256, got 900");
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.1:80,weight=x")).hasMessageContaining("weight must be a number");
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.1:80,colour=red")).hasMessageContaining("unknown option 'colour'");
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.1:0")).hasMessageContaining("port must be 1..65535");
    }

    @Test
    void anUnspecifiedAddressIsNoServersAndTheRefusalSaysWhatToGiveInstead() {
        assertThatThrownBy(() -> ServerConfig.parse("0.0.0.0:80")).hasMessage("server '0.0.0.0:80': 0.0.0.0 is no "
            + "server's address (Linux connects it to this host); for one on this host give 127.0.0.1");
        assertThatThrownBy(() -> ServerConfig.parse("[::]:80")).hasMessageContaining(":: is no server's address")
            .hasMessageEndingWith("give [::1]");
    }

    @Test
    void aServerOptionGivenTwiceIsRefusedNotLastWins() {
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.1:80,weight=1,weight=2"))
            .hasMessage("server '10.0.0.1:80,weight=1,weight=2': 'weight' is given twice");
    }

    @Test
    void aServerByDnsNameRefusesAnOptionGivenTwiceToo() {
        assertThatThrownBy(() -> DnsServerSpec.parse("api.internal:8080,name=a,name=b"))
            .hasMessageContaining("'name' is given twice");
    }

    @Test
    void algorithmsParseByTheirUserNames() {
        for (final Algorithm a : Algorithm.values()) {
            assertThat(Algorithm.parse(a.userName())).isEqualTo(a);
        }
        assertThatThrownBy(() -> Algorithm.parse("fastest"))
            .hasMessage("unknown balance algorithm 'fastest' (expected one of roundrobin, weighted, leastconn, source, random, leasttime)");
    }

    @Test
    void aConfigWhoseListenerNamesAMissingGroupIsRejected() {
        final ListenerConfig l = new ListenerConfig(new InetSocketAddress("127.0.0.1", 0), "nope", TcpOptions.DEFAULTS);
        final TargetGroupConfig g = new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
            java.util.List.of(ServerConfig.parse("127.0.0.1:9")));
        assertThatThrownBy(() -> Config.single(1, Duration.ZERO, l, g)).hasMessageContaining("no group named 'nope'");
    }

    @Test
    void tcpOptionsRejectOutOfRangeValues() {
        assertThatThrownBy(() -> TcpOptions.DEFAULTS.withRetries(-1)).hasMessageContaining("retries must be 0..32");
        assertThatThrownBy(() -> TcpOptions.DEFAULTS.withConnectTimeout(Duration.ZERO)).hasMessageContaining("connect-timeout");
        assertThatThrownBy(() -> TcpOptions.DEFAULTS.withBufferSize(10)).hasMessageContaining("buffer size");
    }
}
