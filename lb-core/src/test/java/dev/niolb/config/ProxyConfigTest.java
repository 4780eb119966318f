package dev.niolb.config;

import dev.niolb.admission.CidrSet;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProxyConfigTest {

    @Test
    void aServerSpecNamesItsPROXYHeader() {
        assertThat(ServerConfig.parse("10.0.0.1:80").sendProxy()).isEqualTo(SendProxy.NONE);
        assertThat(ServerConfig.parse("10.0.0.1:80,send-proxy").sendProxy()).isEqualTo(SendProxy.V1);
        assertThat(ServerConfig.parse("10.0.0.1:80,send-proxy-v2,weight=2").sendProxy()).isEqualTo(SendProxy.V2);
        assertThat(ServerConfig.parse("10.0.0.1:53,send-proxy-v2,proxy-udp=every").sendProxy())
            .isEqualTo(new SendProxy(SendProxy.Version.V2, SendProxy.UdpMode.EVERY));
        assertThat(ServerConfig.parse("10.0.0.1:53,proxy-udp=first,send-proxy-v2").sendProxy()).isEqualTo(SendProxy.V2);
    }

    @Test
    void theOldConstructorsSendNoHeader() {
        assertThat(new ServerConfig("a", new InetSocketAddress("10.0.0.1", 80), 1, false, 0).sendProxy())
            .isEqualTo(SendProxy.NONE);
        assertThat(new ListenerConfig(new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS).acceptProxy())
            .isEqualTo(AcceptProxy.DISABLED);
    }

    @Test
    void badProxyOptionsAreRefusedWithOneLineNamingThem() {
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.1:80,send-proxy,send-proxy-v2"))
            .hasMessage("server '10.0.0.1:80,send-proxy,send-proxy-v2': give one of send-proxy and send-proxy-v2");
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.1:80,send-proxy=yes"))
            .hasMessage("server '10.0.0.1:80,send-proxy=yes': send-proxy takes no value");
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.1:80,send-proxy,proxy-udp=every"))
            .hasMessageContaining("proxy-udp needs send-proxy-v2");
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.1:80,proxy-udp=every"))
            .hasMessageContaining("proxy-udp needs send-proxy-v2");
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.1:80,send-proxy-v2,proxy-udp=all"))
            .hasMessage("server '10.0.0.1:80,send-proxy-v2,proxy-udp=all': proxy-udp must be first or every, got 'all'");
    }

    @Test
    void aV1HeaderCannotGoToTheServersOfAUdpListener() {
        final TargetGroupConfig group = new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
            List.of(ServerConfig.parse("10.0.0.1:53,send-proxy")));
        final ListenerConfig udp = new ListenerConfig("u", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g",
            TcpOptions.DEFAULTS);
        final ListenerConfig tcp = new ListenerConfig("t", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
            TcpOptions.DEFAULTS);
        assertThatThrownBy(() -> new Config(1, Duration.ZERO, List.of(udp), List.of(group)))
            .hasMessage("server 10.0.0.1:53: send-proxy (v1) is TCP only, and group 'g' serves a UDP listener:"
                + " use send-proxy-v2");
        assertThat(new Config(1, Duration.ZERO, List.of(tcp), List.of(group)).listeners()).hasSize(1);
    }

    @Test
    void acceptProxyReadsHeadersFromTrustedPeersOnlyAndFromEveryPeerWhenNoneAreListed() throws Exception {
        final AcceptProxy some = AcceptProxy.from(CidrSet.parse(List.of("10.0.0.0/8", "::1")));
        assertThat(some.expectsHeaderFrom(InetAddress.getByName("10.1.2.3"))).isTrue();
        assertThat(some.expectsHeaderFrom(InetAddress.getByName("::1"))).isTrue();
        assertThat(some.expectsHeaderFrom(InetAddress.getByName("192.0.2.1"))).isFalse();
        assertThat(AcceptProxy.fromAnyPeer().expectsHeaderFrom(InetAddress.getByName("192.0.2.1"))).isTrue();
        assertThat(AcceptProxy.DISABLED.expectsHeaderFrom(InetAddress.getByName("10.1.2.3"))).isFalse();
        assertThat(AcceptProxy.DISABLED.withTrusted(some.trusted()).expectsHeaderFrom(InetAddress.getByName("10.1.2.3")))
            .isFalse();
    }

    @Test
    void anEmptyTrustedListTrustsNobody() throws Exception {
        final AcceptProxy none = AcceptProxy.from(CidrSet.EMPTY);
        assertThat(none.expectsHeaderFrom(InetAddress.getByName("127.0.0.1"))).isFalse();
        assertThat(none.expectsHeaderFrom(InetAddress.getByName("::1"))).isFalse();
        assertThat(none.trustsNoPeer()).isTrue();
        assertThat(none.trustsEveryPeer()).isFalse();
        assertThat(AcceptProxy.fromAnyPeer().trustsNoPeer()).isFalse();
    }

    @Test
    void acceptProxyRefusesATimeoutOrBoundThatCannotWork() {
        assertThatThrownBy(() -> AcceptProxy.fromAnyPeer().withHeaderTimeout(Duration.ZERO))
            .hasMessage("proxy-header-timeout must be positive, got 0");
        assertThatThrownBy(() -> AcceptProxy.fromAnyPeer().withMaxHeaderLength(100))
            .hasMessage("proxy-header-max must be 128..65551 bytes, got 100");
        assertThatThrownBy(() -> AcceptProxy.fromAnyPeer().withMaxHeaderLength(70_000))
            .hasMessageContaining("got 70000");
        assertThat(AcceptProxy.fromAnyPeer().withMaxHeaderLength(65_551).maxHeaderLength()).isEqualTo(65_551);
    }
}
