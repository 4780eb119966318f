package dev.niolb.config;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DnsServerSpecTest {

    @Test
    void aHostNameIsANameSpecAndAnAddressIsNot() {
        assertThat(DnsServerSpec.isNameSpec("api.internal:8080")).isTrue();
        assertThat(DnsServerSpec.isNameSpec("localhost:80,weight=2")).isTrue();
        assertThat(DnsServerSpec.isNameSpec("srv:_api._tcp.example.org")).isTrue();
        assertThat(DnsServerSpec.isNameSpec("10.0.0.1:80")).isFalse();
        assertThat(DnsServerSpec.isNameSpec("[::1]:80")).isFalse();
        assertThat(DnsServerSpec.isNameSpec("10.0.0.1")).isFalse();
    }

    @Test
    void parsesHostPortWithTheOptionsOfAnyServer() {
        final DnsServerSpec spec = DnsServerSpec.parse("api.internal:8080,weight=3,backup,check-port=9000");

        assertThat(spec.name()).isEqualTo("api.internal:8080");
        assertThat(spec.host()).isEqualTo("api.internal");
        assertThat(spec.port()).isEqualTo(8080);
        assertThat(spec.srv()).isFalse();
        final ServerConfig one = spec.server(new InetSocketAddress("10.0.0.1", 8080), -1, false);
        assertThat(one.name()).isEqualTo("api.internal:8080#10.0.0.1");
        assertThat(one.address()).isEqualTo(new InetSocketAddress("10.0.0.1", 8080));
        assertThat(one.weight()).isEqualTo(3);
        assertThat(one.backup()).isTrue();
        assertThat(one.checkPort()).isEqualTo(9000);
    }

    @Test
    void aPortWithLeadingZerosIsItsNumberAsForAnAddress() {
        final DnsServerSpec spec = DnsServerSpec.parse("localhost:020911");

        assertThat(spec.port()).isEqualTo(20911);
        assertThat(spec.name()).isEqualTo("localhost:20911");
    }

    @Test
    void parsesSrvAndNamesItsServersByAddressAndPort() {
        final DnsServerSpec spec = DnsServerSpec.parse("srv:_api._tcp.example.org,name=api");

        assertThat(spec.srv()).isTrue();
        assertThat(spec.host()).isEqualTo("_api._tcp.example.org");
        assertThat(spec.name()).isEqualTo("api");
        final ServerConfig s = spec.server(new InetSocketAddress("10.0.0.2", 8443), 30, true);
        assertThat(s.name()).isEqualTo("api#10.0.0.2:8443");
        assertThat(s.weight()).isEqualTo(30);
        assertThat(s.backup()).isTrue();
        assertThat(spec.owns("api#10.0.0.2:8443")).isTrue();
        assertThat(spec.owns("apix#10.0.0.2:8443")).isFalse();
    }

    @Test
    void anIpv6AddressIsWrittenInBracketsInTheServerName() {
        final ServerConfig s = DnsServerSpec.of("api.test", 80).server(new InetSocketAddress("::1", 80), -1, false);

        assertThat(s.name()).isEqualTo("api.test:80#[::1]");
    }

    @Test
    void badSpecsAreOneLineErrors() {
        assertThatThrownBy(() -> DnsServerSpec.parse("api.internal")).hasMessage("bad address 'api.internal': expected HOST:PORT");
        assertThatThrownBy(() -> DnsServerSpec.parse("api.internal:0")).hasMessage(
            "bad address 'api.internal:0': port must be a number 1..65535");
        assertThatThrownBy(() -> DnsServerSpec.parse("api.internal:80,weight=900")).hasMessageContaining(
            "'api.internal:80,weight=900'").hasMessageContaining("weight must be 0..256");
        assertThatThrownBy(() -> DnsServerSpec.parse("srv:bad name")).hasMessageContaining("expected srv:_service._proto.NAME");
        assertThatThrownBy(() -> DnsServerSpec.parse("a b:80")).hasMessageContaining("is not a host name");
    }

    @Test
    void aGroupMayHaveOnlyServersByNameButNotTwoOfOneName() {
        final TargetGroupConfig g = new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(), HealthCheckConfig.DEFAULTS,
            0, List.of(DnsServerSpec.of("api.test", 80)));
        assertThat(g.dnsServers()).hasSize(1);
        assertThatThrownBy(() -> new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(), HealthCheckConfig.DEFAULTS, 0,
            List.of())).hasMessageContaining("needs at least one server");
        assertThatThrownBy(() -> new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(), HealthCheckConfig.DEFAULTS, 0,
            List.of(DnsServerSpec.of("api.test", 80), DnsServerSpec.of("api.test", 80))))
            .hasMessageContaining("'api.test:80' appears twice");
    }
}
